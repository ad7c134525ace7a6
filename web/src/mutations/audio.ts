// Audio files. Uploads are the one write that doesn't go through the outbox
// (ui/upload.ts streams the bytes); deleting one does.
import type { Audio, FocusTrack, Reference } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { deleteRecord, path, quote } from "./record.ts";

/** What still uses a file (the server refuses to delete it then: 409 audio_in_use). */
export function audioUsage(
  audioId: string,
  tracks: readonly FocusTrack[],
  references: readonly Reference[],
): { tracks: number; references: number } {
  return {
    tracks: tracks.filter((t) => t.audio_id === audioId).length,
    references: references.filter((r) => r.audio_id === audioId).length,
  };
}

export function deleteAudio(store: SyncStore, audio: Audio) {
  return deleteRecord(store, "audio", {
    path: path`/api/audio/${audio.id}`,
    current: audio,
    label: `Delete ${quote(audio.filename)}`,
  });
}
