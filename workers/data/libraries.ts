/**
 * Focus libraries and their tracks. Track positions are dense and 0-based
 * within a library; every change to them runs under the library's row lock,
 * and every track whose position shifts gets a new version and a change-log
 * entry like any other write — each change one database function
 * (db/migrations/0022_one_call_deletes_tracks_remix.sql) called in one round trip.
 */
import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { focusLibraries, focusTracks } from "../../db/schema";
import { AppError, idConflict, notFound } from "../errors";
import { MAX_TRACKS, type CreateTrack, type UpdateTrack } from "../protocol/libraries";
import { refusal } from "../sync/call";
import type { Scope } from "../sync/scope";
import { findOwned, versionConflict } from "../sync/write";
import { isUuid } from "../protocol/common";
import { rowFromRaw } from "../protocol/registry";
import { paginate } from "./paginate";
import { ErrorCode } from "../protocol/rules";

/** Favorites first, then newest. One query: the page and the total. */
export async function listLibraries(db: Db, userId: string, q: { page: number; page_size: number }) {
  const where = eq(focusLibraries.userId, userId);
  const orderBy = [desc(focusLibraries.favorite), desc(focusLibraries.createdAt), desc(focusLibraries.id)];
  return paginate(db, focusLibraries, { where, orderBy }, q);
}

/** The user's library (no rows if not theirs): the query, unsent. */
export const libraryQuery = (db: Db, userId: string, id: string) =>
  db
    .select()
    .from(focusLibraries)
    .where(and(eq(focusLibraries.id, id), eq(focusLibraries.userId, userId)))
    .limit(1);

export const tracksOf = (db: Db | Tx, userId: string, libraryId: string) =>
  db
    .select()
    .from(focusTracks)
    .where(and(eq(focusTracks.userId, userId), eq(focusTracks.libraryId, libraryId)))
    .orderBy(asc(focusTracks.position), asc(focusTracks.createdAt));

/**
 * A refusal of one of the track/library functions (db/migrations/0022) as the
 * API error; a version conflict reads the current record (that path only).
 */
async function refused(
  scope: Scope,
  err: unknown,
  conflict?: { entity: "focus_track" | "focus_library"; id: string },
): Promise<never> {
  switch (refusal(err)?.code) {
    case "library_not_found":
      throw notFound("Focus library");
    case "track_not_found":
      throw notFound("Track");
    case "audio_not_found":
      throw notFound("Audio");
    case "library_full":
      throw new AppError(409, ErrorCode.library_full, `A library holds at most ${MAX_TRACKS} tracks.`);
    case "version_conflict":
      if (conflict)
        throw versionConflict(conflict.entity, await findOwned(scope.db, conflict.entity, scope.userId, conflict.id));
  }
  throw err;
}

const idOrNull = (id: string) => (isUuid(id) ? id : null);

/**
 * Appends (or inserts at `position`); the duration defaults to the audio file's.
 * One call (continuum_add_track): the library's row lock, the count, the shift
 * and the insert in one statement.
 */
export async function addTrack(scope: Scope, libraryId: string, t: CreateTrack) {
  if (!isUuid(libraryId)) throw notFound("Focus library");
  const r = await scope
    .call<{ row: Record<string, unknown>; created: boolean; same: boolean }>(
      sql`select continuum_add_track(${scope.userId}, ${libraryId}, ${t.id ?? null}, ${t.title}, ${t.audio_id ?? null},
      ${t.url ?? null}, ${t.duration_s ?? null}, ${t.position ?? null}, ${MAX_TRACKS}, ${scope.idempotencyKey}) as r`,
    )
    .catch((err: unknown) => refused(scope, err));
  if (!r.created && !r.same) throw idConflict();
  return { row: rowFromRaw("focus_track", r.row), created: r.created };
}

/** Edits a track; a new `position` (clamped to the end) moves it and shifts the ones in between. One call. */
export async function editTrack(
  scope: Scope,
  libraryId: string,
  trackId: string,
  expected: number | undefined,
  patch: Omit<UpdateTrack, "version">,
) {
  if (!isUuid(libraryId)) throw notFound("Focus library");
  if (!idOrNull(trackId)) throw notFound("Track");
  const has = (k: keyof typeof patch) => patch[k] !== undefined;
  const r = await scope
    .call<{ row: Record<string, unknown> }>(
      sql`select continuum_edit_track(${scope.userId}, ${libraryId}, ${trackId}, ${expected ?? null},
      ${has("title")}, ${patch.title ?? null}, ${has("audio_id")}, ${patch.audio_id ?? null},
      ${has("url")}, ${patch.url ?? null}, ${has("duration_s")}, ${patch.duration_s ?? null},
      ${patch.position ?? null}, ${scope.idempotencyKey}) as r`,
    )
    .catch((err: unknown) => refused(scope, err, { entity: "focus_track", id: trackId }));
  return rowFromRaw("focus_track", r.row);
}

/** Deletes a track and closes the gap. One call. */
export async function removeTrack(scope: Scope, libraryId: string, trackId: string, expected: number | undefined) {
  if (!isUuid(libraryId)) throw notFound("Focus library");
  if (!idOrNull(trackId)) throw notFound("Track");
  await scope
    .call(
      sql`select continuum_remove_track(${scope.userId}, ${libraryId}, ${trackId}, ${expected ?? null}, ${MAX_TRACKS},
      ${scope.idempotencyKey}) as r`,
    )
    .catch((err: unknown) => refused(scope, err, { entity: "focus_track", id: trackId }));
}

/** Flips the library's `favorite` in the statement itself (two devices toggling never lose one). */
export const toggleFavorite = (scope: Scope, libraryId: string, expected: number | undefined) =>
  scope.write((w) => w.update("focus_library", libraryId, expected, { favorite: sql`not ${focusLibraries.favorite}` }));

/** Deletes a library and its tracks (each track gets its own tombstone). One call. */
export async function removeLibrary(scope: Scope, libraryId: string, expected: number | undefined) {
  if (!isUuid(libraryId)) throw notFound("Focus library");
  await scope
    .call(
      sql`select continuum_remove_library(${scope.userId}, ${libraryId}, ${expected ?? null}, ${scope.idempotencyKey}) as r`,
    )
    .catch((err: unknown) => refused(scope, err, { entity: "focus_library", id: libraryId }));
}
