// Focus libraries, tracks, references and audio deletes as sync mutations
// (the same pattern as ui/actions.ts): the request plus the record to show
// until the server answers, queued in the outbox so they work offline.
// Uploads are the one write that doesn't go through here (ui/upload.ts).
import type { Audio, FocusLibrary, FocusTrack, Reference, UpdateReference, UpdateTrack } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const quote = (text: string) => `“${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`;
const enc = encodeURIComponent;

// ---- audio -------------------------------------------------------------------

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
  return store.mutate({
    method: "DELETE",
    path: `/api/audio/${enc(audio.id)}`,
    entity: "audio",
    id: audio.id,
    optimistic: { op: "delete" },
    label: `Delete ${quote(audio.filename)}`,
  });
}

// ---- libraries -----------------------------------------------------------------

export function createLibrary(store: SyncStore, input: { name: string; description?: string }) {
  const id = uuid();
  const now = iso(store.serverNow());
  const lib: FocusLibrary = {
    id,
    version: 1,
    created_at: now,
    updated_at: now,
    name: input.name,
    description: input.description ?? "",
    favorite: false,
  };
  void store.mutate({
    method: "POST",
    path: "/api/focus/libraries",
    body: { id, name: lib.name, description: lib.description },
    entity: "focus_library",
    id,
    optimistic: { op: "upsert", data: lib },
    label: `Create library ${quote(lib.name)}`,
  });
  return id;
}

export function updateLibrary(store: SyncStore, lib: FocusLibrary, patch: { name?: string; description?: string }) {
  return store.mutate({
    method: "PUT",
    path: `/api/focus/libraries/${enc(lib.id)}`,
    body: patch,
    entity: "focus_library",
    id: lib.id,
    ifMatch: lib.version,
    optimistic: {
      op: "upsert",
      data: { ...lib, ...patch, version: lib.version + 1, updated_at: iso(store.serverNow()) },
    },
    label: `Rename ${quote(lib.name)}`,
  });
}

/** The toggle endpoint, guarded: two devices toggling at once can't cancel each other out silently. */
export function toggleFavorite(store: SyncStore, lib: FocusLibrary) {
  return store.mutate({
    method: "POST",
    path: `/api/focus/libraries/${enc(lib.id)}/favorite`,
    entity: "focus_library",
    id: lib.id,
    ifMatch: lib.version,
    optimistic: {
      op: "upsert",
      data: { ...lib, favorite: !lib.favorite, version: lib.version + 1, updated_at: iso(store.serverNow()) },
    },
    label: `${lib.favorite ? "Unfavorite" : "Favorite"} ${quote(lib.name)}`,
  });
}

/** Deletes the library; the server deletes its tracks too (their tombstones arrive through the feed). */
export function deleteLibrary(store: SyncStore, lib: FocusLibrary) {
  return store.mutate({
    method: "DELETE",
    path: `/api/focus/libraries/${enc(lib.id)}`,
    entity: "focus_library",
    id: lib.id,
    optimistic: { op: "delete" },
    label: `Delete library ${quote(lib.name)}`,
  });
}

/** Favorites first, then by name. */
export function sortLibraries(list: readonly FocusLibrary[]): FocusLibrary[] {
  return [...list].sort(
    (a, b) =>
      Number(b.favorite) - Number(a.favorite) ||
      a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) ||
      a.created_at.localeCompare(b.created_at),
  );
}

// ---- tracks ----------------------------------------------------------------------

/**
 * A library's tracks in play order. Positions are dense on the server; while
 * a move is in flight the optimistic record carries a half position
 * (see moveTrack) so it sorts between its new neighbours right away. Ties
 * (a neighbour whose shift hasn't arrived yet) go to the newer write.
 */
export function tracksOf(all: readonly FocusTrack[], libraryId: string): FocusTrack[] {
  return all
    .filter((t) => t.library_id === libraryId)
    .sort((a, b) => a.position - b.position || b.updated_at.localeCompare(a.updated_at) || a.id.localeCompare(b.id));
}

export function addTrack(
  store: SyncStore,
  libraryId: string,
  input: { title: string; audio_id?: string; url?: string; duration_s?: number | null },
  position: number,
) {
  const id = uuid();
  const now = iso(store.serverNow());
  const track: FocusTrack = {
    id,
    version: 1,
    created_at: now,
    updated_at: now,
    library_id: libraryId,
    title: input.title,
    audio_id: input.audio_id ?? null,
    url: input.url ?? null,
    duration_s: input.duration_s ?? null,
    position,
  };
  return store.mutate({
    method: "POST",
    path: `/api/focus/libraries/${enc(libraryId)}/tracks`,
    body: {
      id,
      title: input.title,
      ...(input.audio_id ? { audio_id: input.audio_id } : { url: input.url }),
      ...(input.duration_s != null ? { duration_s: input.duration_s } : {}),
    },
    entity: "focus_track",
    id,
    optimistic: { op: "upsert", data: track },
    label: `Add track ${quote(track.title)}`,
  });
}

export function updateTrack(store: SyncStore, track: FocusTrack, patch: Omit<UpdateTrack, "version">) {
  return store.mutate({
    method: "PUT",
    path: `/api/focus/libraries/${enc(track.library_id)}/tracks/${enc(track.id)}`,
    body: patch,
    entity: "focus_track",
    id: track.id,
    ifMatch: track.version,
    optimistic: {
      op: "upsert",
      data: { ...track, ...patch, version: track.version + 1, updated_at: iso(store.serverNow()) },
    },
    label: `Edit track ${quote(track.title)}`,
  });
}

/**
 * Moves a track to index `to` of its library (the server shifts the others).
 * Last write wins: a reorder on another device is not a conflict to report.
 */
export function moveTrack(store: SyncStore, track: FocusTrack, from: number, to: number) {
  return store.mutate({
    method: "PUT",
    path: `/api/focus/libraries/${enc(track.library_id)}/tracks/${enc(track.id)}`,
    body: { position: to },
    entity: "focus_track",
    id: track.id,
    optimistic: {
      op: "upsert",
      data: {
        ...track,
        position: to + (to < from ? -0.5 : 0.5),
        version: track.version + 1,
        updated_at: iso(store.serverNow()),
      },
    },
    label: `Move ${quote(track.title)}`,
  });
}

export function removeTrack(store: SyncStore, track: FocusTrack) {
  return store.mutate({
    method: "DELETE",
    path: `/api/focus/libraries/${enc(track.library_id)}/tracks/${enc(track.id)}`,
    entity: "focus_track",
    id: track.id,
    optimistic: { op: "delete" },
    label: `Remove track ${quote(track.title)}`,
  });
}

// ---- references ------------------------------------------------------------------

export type ReferenceInput = Omit<Reference, "id" | "version" | "created_at" | "updated_at">;

export function createReference(store: SyncStore, input: ReferenceInput) {
  const id = uuid();
  const now = iso(store.serverNow());
  const ref: Reference = { id, version: 1, created_at: now, updated_at: now, ...input };
  return store.mutate({
    method: "POST",
    path: "/api/references",
    body: { id, ...input },
    entity: "reference",
    id,
    optimistic: { op: "upsert", data: ref },
    label: `Create reference ${quote(ref.title)}`,
  });
}

export function updateReference(
  store: SyncStore,
  ref: Reference,
  patch: Omit<UpdateReference, "version">,
  label?: string,
) {
  return store.mutate({
    method: "PUT",
    path: `/api/references/${enc(ref.id)}`,
    body: patch,
    entity: "reference",
    id: ref.id,
    ifMatch: ref.version,
    optimistic: {
      op: "upsert",
      data: { ...ref, ...patch, version: ref.version + 1, updated_at: iso(store.serverNow()) },
    },
    label: label ?? `Edit ${quote(ref.title)}`,
  });
}

export function deleteReference(store: SyncStore, ref: Reference) {
  return store.mutate({
    method: "DELETE",
    path: `/api/references/${enc(ref.id)}`,
    entity: "reference",
    id: ref.id,
    optimistic: { op: "delete" },
    label: `Delete ${quote(ref.title)}`,
  });
}

/**
 * The references list, filtered on this device from the synced cache (so it
 * works offline and updates live). Same rules as `GET /api/references`:
 * pinned first, archived hidden unless asked, `q` matches words of title and
 * content by prefix, `tag` case-insensitively, `category` exactly.
 */
export function filterReferences(
  all: readonly Reference[],
  f: { q?: string; category?: string; tag?: string; archived?: boolean },
): Reference[] {
  const terms = (f.q ?? "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const tag = f.tag?.toLowerCase();
  return all
    .filter((r) => (f.archived ? true : !r.archived))
    .filter((r) => !f.category || r.category === f.category)
    .filter((r) => !tag || r.tags.some((t) => t.toLowerCase() === tag))
    .filter((r) => {
      if (!terms.length) return true;
      const words = `${r.title} ${r.content}`.toLowerCase().split(/[^\p{L}\p{N}]+/u);
      return terms.every((t) => words.some((w) => w.startsWith(t)));
    })
    .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.created_at.localeCompare(a.created_at));
}
