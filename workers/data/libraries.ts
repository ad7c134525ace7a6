/**
 * Focus libraries and their tracks. Track positions are dense and 0-based
 * within a library; every change to them runs under the library's row lock,
 * and every track whose position shifts gets a new version and a change-log
 * entry like any other write.
 */
import { and, asc, count, desc, eq, gte, lte, ne, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { focusLibraries, focusTracks } from "../../db/schema";
import { AppError, notFound } from "../errors";
import { MAX_TRACKS, type CreateTrack, type UpdateTrack } from "../protocol/libraries";
import { findOwned, type Writer } from "../sync/write";
import { isUuid } from "../protocol/common";
import { lockAudio } from "./audio";
import { paginate } from "./paginate";
import { ErrorCode } from "../protocol/rules";

/** Favorites first, then newest. One query: the page and the total. */
export async function listLibraries(db: Db, userId: string, q: { page: number; page_size: number }) {
  const where = eq(focusLibraries.userId, userId);
  const orderBy = [desc(focusLibraries.favorite), desc(focusLibraries.createdAt), desc(focusLibraries.id)];
  return paginate(db, focusLibraries, { where, orderBy }, q);
}

export const tracksOf = (db: Db | Tx, userId: string, libraryId: string) =>
  db
    .select()
    .from(focusTracks)
    .where(and(eq(focusTracks.userId, userId), eq(focusTracks.libraryId, libraryId)))
    .orderBy(asc(focusTracks.position), asc(focusTracks.createdAt));

/** The user's library, row-locked until the transaction ends (404 otherwise). */
export async function lockLibrary(tx: Db | Tx, userId: string, id: string) {
  if (!isUuid(id)) throw notFound("Focus library");
  const [row] = await tx
    .select()
    .from(focusLibraries)
    .where(and(eq(focusLibraries.id, id), eq(focusLibraries.userId, userId)))
    .for("update");
  if (!row) throw notFound("Focus library");
  return row;
}

async function trackCount(db: Db | Tx, userId: string, libraryId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(focusTracks)
    .where(and(eq(focusTracks.userId, userId), eq(focusTracks.libraryId, libraryId)));
  return row?.n ?? 0;
}

async function libraryTrack(db: Db | Tx, userId: string, libraryId: string, trackId: string) {
  const track = await findOwned(db, "focus_track", userId, trackId);
  if (track.libraryId !== libraryId) throw notFound("Track");
  return track;
}

/** Moves the tracks at positions from..to (inclusive) by `delta`, except `except`. */
const shift = (w: Writer, libraryId: string, from: number, to: number, delta: 1 | -1, except?: string) =>
  w.updateWhere(
    "focus_track",
    and(
      eq(focusTracks.libraryId, libraryId),
      gte(focusTracks.position, from),
      lte(focusTracks.position, to),
      except ? ne(focusTracks.id, except) : undefined,
    ),
    { position: sql`${focusTracks.position} + ${delta}` },
  );

/** Appends (or inserts at `position`); the duration defaults to the audio file's. Run in a transaction. */
export async function addTrack(w: Writer, userId: string, libraryId: string, t: CreateTrack) {
  await lockLibrary(w.db, userId, libraryId);
  const audio = t.audio_id ? await lockAudio(w.db, userId, t.audio_id, "key share") : undefined;
  // A retried create with a client id keeps its place (and then matches the stored record).
  const [retried] = t.id
    ? await w.db
        .select()
        .from(focusTracks)
        .where(and(eq(focusTracks.userId, userId), eq(focusTracks.id, t.id)))
    : [];
  const total = await trackCount(w.db, userId, libraryId);
  if (!retried && total >= MAX_TRACKS)
    throw new AppError(409, ErrorCode.library_full, `A library holds at most ${MAX_TRACKS} tracks.`);
  const position = retried?.position ?? Math.min(t.position ?? total, total);
  if (!retried && position < total) await shift(w, libraryId, position, total, 1);
  return w.insert("focus_track", {
    ...(t.id ? { id: t.id } : {}),
    libraryId,
    title: t.title,
    audioId: t.audio_id ?? null,
    url: t.url ?? null,
    durationS: t.duration_s ?? audio?.durationS ?? null,
    position,
  });
}

/** Edits a track; a new `position` (clamped to the end) moves it and shifts the ones in between. Run in a transaction. */
export async function editTrack(
  w: Writer,
  userId: string,
  libraryId: string,
  trackId: string,
  expected: number | undefined,
  patch: Omit<UpdateTrack, "version">,
) {
  await lockLibrary(w.db, userId, libraryId);
  const track = await libraryTrack(w.db, userId, libraryId, trackId);
  if (patch.audio_id) await lockAudio(w.db, userId, patch.audio_id, "key share");
  const to =
    patch.position === undefined
      ? track.position
      : Math.min(patch.position, (await trackCount(w.db, userId, libraryId)) - 1);
  const row = await w.update("focus_track", track.id, expected, {
    ...(patch.title !== undefined ? { title: patch.title } : {}),
    ...(patch.audio_id !== undefined ? { audioId: patch.audio_id, url: null } : {}),
    ...(patch.url !== undefined ? { url: patch.url, audioId: null } : {}),
    ...(patch.duration_s !== undefined ? { durationS: patch.duration_s } : {}),
    position: to,
  });
  if (to < track.position) await shift(w, libraryId, to, track.position - 1, 1, track.id);
  if (to > track.position) await shift(w, libraryId, track.position + 1, to, -1, track.id);
  return row;
}

/** Deletes a track and closes the gap. Run in a transaction. */
export async function removeTrack(
  w: Writer,
  userId: string,
  libraryId: string,
  trackId: string,
  expected: number | undefined,
) {
  await lockLibrary(w.db, userId, libraryId);
  const track = await libraryTrack(w.db, userId, libraryId, trackId);
  const removed = await w.remove("focus_track", track.id, expected);
  await shift(w, libraryId, removed.position + 1, MAX_TRACKS, -1);
}

/** Deletes a library and its tracks (each track gets its own tombstone). Run in a transaction. */
export async function removeLibrary(w: Writer, userId: string, libraryId: string, expected: number | undefined) {
  await lockLibrary(w.db, userId, libraryId);
  await w.removeWhere("focus_track", eq(focusTracks.libraryId, libraryId));
  await w.remove("focus_library", libraryId, expected);
}
