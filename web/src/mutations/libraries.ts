// Focus libraries and their tracks, plus the order rules the optimistic
// writes rely on (favorites first; tracks by position, see moveTrack).
import type { FocusLibrary, FocusTrack, UpdateTrack } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { bumped, createRecord, deleteRecord, editRecord, newRecord, path, quote, updateRecord } from "./record.ts";

// ---- libraries -----------------------------------------------------------------

/** Creates the library and returns its id (the view may open it at once). */
export function createLibrary(store: SyncStore, input: { name: string; description?: string }) {
  const record = newRecord(store, "focus_library", {
    name: input.name,
    description: input.description ?? "",
    favorite: false,
  });
  void createRecord(store, "focus_library", {
    path: "/api/focus/libraries",
    record,
    body: { name: record.name, description: record.description },
    label: `Create library ${quote(record.name)}`,
  });
  return record.id;
}

export function updateLibrary(store: SyncStore, lib: FocusLibrary, patch: { name?: string; description?: string }) {
  return editRecord(store, "focus_library", {
    path: path`/api/focus/libraries/${lib.id}`,
    current: lib,
    patch,
    label: `Rename ${quote(lib.name)}`,
  });
}

/** The toggle endpoint, guarded: two devices toggling at once can't cancel each other out silently. */
export function toggleFavorite(store: SyncStore, lib: FocusLibrary) {
  return updateRecord(store, "focus_library", {
    method: "POST",
    path: path`/api/focus/libraries/${lib.id}/favorite`,
    current: lib,
    next: bumped(store, lib, { favorite: !lib.favorite }),
    guarded: true,
    label: `${lib.favorite ? "Unfavorite" : "Favorite"} ${quote(lib.name)}`,
  });
}

/** Deletes the library; the server deletes its tracks too (their tombstones arrive through the feed). */
export function deleteLibrary(store: SyncStore, lib: FocusLibrary) {
  return deleteRecord(store, "focus_library", {
    path: path`/api/focus/libraries/${lib.id}`,
    current: lib,
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

const trackPath = (t: FocusTrack) => path`/api/focus/libraries/${t.library_id}/tracks/${t.id}`;

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
  const record = newRecord(store, "focus_track", {
    library_id: libraryId,
    title: input.title,
    audio_id: input.audio_id ?? null,
    url: input.url ?? null,
    duration_s: input.duration_s ?? null,
    position,
  });
  return createRecord(store, "focus_track", {
    path: path`/api/focus/libraries/${libraryId}/tracks`,
    record,
    body: {
      title: input.title,
      ...(input.audio_id ? { audio_id: input.audio_id } : { url: input.url }),
      ...(input.duration_s != null ? { duration_s: input.duration_s } : {}),
    },
    label: `Add track ${quote(record.title)}`,
  });
}

export function updateTrack(store: SyncStore, track: FocusTrack, patch: Omit<UpdateTrack, "version">) {
  return editRecord(store, "focus_track", {
    path: trackPath(track),
    current: track,
    patch,
    label: `Edit track ${quote(track.title)}`,
  });
}

/**
 * Moves a track to index `to` of its library (the server shifts the others).
 * Unguarded: a reorder on another device is not a conflict to report.
 */
export function moveTrack(store: SyncStore, track: FocusTrack, from: number, to: number) {
  return updateRecord(store, "focus_track", {
    path: trackPath(track),
    current: track,
    next: bumped(store, track, { position: to + (to < from ? -0.5 : 0.5) }),
    body: { position: to },
    guarded: false,
    label: `Move ${quote(track.title)}`,
  });
}

export function removeTrack(store: SyncStore, track: FocusTrack) {
  return deleteRecord(store, "focus_track", {
    path: trackPath(track),
    current: track,
    label: `Remove track ${quote(track.title)}`,
  });
}
