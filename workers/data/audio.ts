/**
 * Audio metadata and the quota in Postgres (multipart uploads: ./uploads.ts). The bytes live
 * in R2 under `u/<user_id>/<audio_id>/<attempt>`: a fresh key for every upload
 * attempt (older files: `u/<user_id>/<audio_id>`), recorded in `r2_key`.
 */
import { and, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { audioFiles, audioUploads, focusTracks, referenceItems } from "../../db/schema";
import { AppError, idConflict, notFound } from "../errors";
import { SNIFF_BYTES, sniffAudio, type Sniffed } from "../lib/audio-format";
import { measured, peek, storeMeasured } from "../lib/streams";
import { DEFAULT_AUDIO_QUOTA_BYTES } from "../protocol/audio";
import { isUuid } from "../protocol/common";
import { rowFromRaw, type RowOf, type ValuesOf } from "../protocol/registry";
import { findOwned, versionConflict } from "../sync/write";
import { refusal } from "../sync/call";
import type { Scope } from "../sync/scope";
import { paginate } from "./paginate";
import { ErrorCode } from "../protocol/rules";

export type Upload = typeof audioUploads.$inferSelect;

/** The key of files stored before attempts had keys. */
export const audioKey = (userId: string, audioId: string) => `u/${userId}/${audioId}`;
/** A new attempt's key: two uploads racing for one id never share an object. */
export const attemptKey = (userId: string, audioId: string) => `${audioKey(userId, audioId)}/${crypto.randomUUID()}`;
/** Where a file's bytes are. */
export const fileKey = (row: { userId: string; id: string; r2Key: string | null }) =>
  row.r2Key ?? audioKey(row.userId, row.id);
/** Where an upload's object is being assembled. */
export const uploadKey = (upload: Upload) => upload.r2Key ?? audioKey(upload.userId, upload.audioId);

export function quotaBytes(env: { AUDIO_QUOTA_BYTES?: string }): number {
  const n = Number(env.AUDIO_QUOTA_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_AUDIO_QUOTA_BYTES;
}

/**
 * Bytes the user's quota holds: stored files + the declared sizes of open
 * multipart uploads (R2 holds their parts already), except `completing`, the
 * upload that becomes the file being added. The query, unsent (for a batch).
 */
export const usedBytesQuery = (db: Db | Tx, userId: string, completing?: string) =>
  db.execute(sql`select continuum_audio_used(${userId}, ${completing ?? null}::uuid) as used`);

export const usedOf = (result: { rows: unknown[] }) => Number((result.rows[0] as { used: unknown }).used);

const quotaExceeded = (quota: number, used: number, adding: number) =>
  new AppError(413, ErrorCode.quota_exceeded, "This upload would exceed your audio storage quota.", {
    details: { quota_bytes: quota, used_bytes: used, requested_bytes: adding },
  });

/** 413 quota_exceeded unless `adding` more bytes fit beside `used`. */
export function checkQuota(quota: number, used: number, adding: number): void {
  if (used + adding > quota) throw quotaExceeded(quota, used, adding);
}

/** 413 quota_exceeded unless `adding` more bytes fit in the user's quota (one query). */
export async function assertQuota(
  db: Db | Tx,
  quota: number,
  userId: string,
  adding: number,
  completing?: string,
): Promise<void> {
  checkQuota(quota, usedOf(await usedBytesQuery(db, userId, completing)), adding);
}

/** A refusal of the audio calls (migration 0036) as the API's error. */
export function audioRefused(err: unknown, quota: number, adding: number): void {
  const r = refusal(err);
  if (r?.code === ErrorCode.quota_exceeded) throw quotaExceeded(quota, Number(r.detail), adding);
  if (r?.code === ErrorCode.id_conflict) throw idConflict();
}

/**
 * Records an audio file whose bytes R2 holds, inside the user's quota, in one
 * call (continuum_record_audio, migration 0036): the quota is checked under a
 * per-user lock (parallel uploads can't both squeeze in), the record inserted
 * and logged, and `completing` (the multipart upload it completes) forgotten.
 * The same id with the same object again is the existing record (`created`
 * false); another use of the id is 409.
 */
export async function recordAudio(
  scope: Scope,
  quota: number,
  values: ValuesOf<"audio"> & { id: string; size: number },
  completing?: string,
): Promise<{ row: RowOf<"audio">; created: boolean }> {
  const row = {
    id: values.id,
    filename: values.filename,
    content_type: values.contentType,
    format: values.format,
    size: values.size,
    checksum: values.checksum,
    etag: values.etag,
    duration_s: values.durationS ?? null,
    r2_key: values.r2Key ?? null,
  };
  try {
    const r = await scope.call<{ row: Record<string, unknown>; created: boolean }>(
      sql`select continuum_record_audio(${scope.userId}, ${JSON.stringify(row)}::jsonb, ${quota}::bigint,
        ${completing ?? null}::uuid, ${scope.idempotencyKey}) as r`,
    );
    return { row: rowFromRaw("audio", r.row), created: r.created };
  } catch (err) {
    audioRefused(err, quota, values.size);
    throw err;
  }
}

/** The user's audio record with this id (ids are per user). */
export async function findAudioById(db: Db | Tx, userId: string, id: string) {
  const [row] = await db
    .select()
    .from(audioFiles)
    .where(and(eq(audioFiles.userId, userId), eq(audioFiles.id, id)))
    .limit(1);
  return row;
}

/**
 * A create repeating a client-supplied id: the stored record when it is the
 * same upload (same user, name and size: its bytes are already stored),
 * 409 when the id is taken otherwise, undefined when it is free.
 */
export async function repeatedUpload(db: Db, userId: string, id: string, filename: string, size: number) {
  const existing = await findAudioById(db, userId, id);
  if (!existing) return undefined;
  if (existing.filename === filename && existing.size === size) return existing;
  throw idConflict();
}

/**
 * What a direct upload needs to know before its bytes go to R2: the record a
 * client-chosen id already names (a retry), and how many bytes the quota
 * holds. One statement, which the session check leads.
 */
export async function directUploadPreflight(db: Db, userId: string, id: string | undefined) {
  const result = await db.execute(sql`
    select continuum_audio_used(${userId}, null) as used,
      (select to_jsonb(a) from audio_files a where a.user_id = ${userId} and a.id = ${id ?? null}::uuid) as existing`);
  const row = result.rows[0] as { used: unknown; existing: Record<string, unknown> | null };
  return { used: Number(row.used), existing: row.existing ? rowFromRaw("audio", row.existing) : undefined };
}

/** One query: the page and the total (window count). Newest first. */
export async function listAudio(db: Db, userId: string, q: { page: number; page_size: number }) {
  const where = eq(audioFiles.userId, userId);
  return paginate(db, audioFiles, { where, orderBy: [desc(audioFiles.createdAt), desc(audioFiles.id)] }, q);
}

/**
 * Reads and row-locks one of the user's audio files (404 otherwise). Deleting
 * takes `update`; whatever starts referencing it takes `key share`, so a
 * delete and a new reference can't cross.
 */
export async function lockAudio(tx: Db | Tx, userId: string, id: string, mode: "update" | "key share") {
  if (!isUuid(id)) throw notFound("Audio");
  const [row] = await tx
    .select()
    .from(audioFiles)
    .where(and(eq(audioFiles.id, id), eq(audioFiles.userId, userId)))
    .for(mode);
  if (!row) throw notFound("Audio");
  return row;
}

/** How many of the user's tracks and references play this audio. */
export async function audioUsage(db: Db | Tx, userId: string, audioId: string) {
  const [tracks, references] = await Promise.all([
    db
      .select({ n: count() })
      .from(focusTracks)
      .where(and(eq(focusTracks.userId, userId), eq(focusTracks.audioId, audioId))),
    db
      .select({ n: count() })
      .from(referenceItems)
      .where(and(eq(referenceItems.userId, userId), eq(referenceItems.audioId, audioId))),
  ]);
  return { tracks: tracks[0]?.n ?? 0, references: references[0]?.n ?? 0 };
}

/**
 * Deletes the user's audio record unless a track or reference plays it (409
 * `audio_in_use` with the counts): one call (continuum_delete_audio, migration
 * 0024) under the file's row lock. Returns the deleted row (its R2 key).
 */
export async function removeAudio(scope: Scope, id: string, expected: number | undefined) {
  if (!isUuid(id)) throw notFound("Audio");
  try {
    const r = await scope.call<{ row: Record<string, unknown> }>(
      sql`select continuum_delete_audio(${scope.userId}, ${id}, ${expected ?? null}, ${scope.idempotencyKey}) as r`,
    );
    return rowFromRaw("audio", r.row);
  } catch (err) {
    const r = refusal(err);
    if (r?.code === "audio_not_found") throw notFound("Audio");
    if (r?.code === "audio_in_use") {
      const [tracks, references] = r.detail.split(",").map(Number);
      throw new AppError(
        409,
        "audio_in_use",
        "This audio is used by tracks or references; remove it from them first.",
        {
          details: { tracks, references },
        },
      );
    }
    if (r?.code === "version_conflict")
      throw versionConflict("audio", await findOwned(scope.db, "audio", scope.userId, id));
    throw err;
  }
}

// ── R2 ───────────────────────────────────────────────────────────────────────

/**
 * Streams an upload body of exactly `size` bytes into R2 through `store`,
 * hashing it on the way. With `sniff` (the whole file's size, for the
 * duration) the first bytes must be audio: 415 otherwise, and nothing is stored.
 */
export async function streamToR2<T>(
  body: ReadableStream<Uint8Array>,
  size: number,
  store: (stream: ReadableStream, sniffed: Sniffed | null) => Promise<T>,
  sniff?: { fileSize: number },
): Promise<{ result: T; sha256: string; sniffed: Sniffed | null }> {
  let sniffed: Sniffed | null = null;
  if (sniff) {
    const peeked = await peek(body, SNIFF_BYTES);
    sniffed = sniffAudio(peeked.head, sniff.fileSize);
    if (!sniffed) {
      await peeked.stream.cancel();
      throw new AppError(
        415,
        ErrorCode.unsupported_audio_format,
        "This file is not a supported audio format (mp3, wav, ogg/opus, flac, m4a/aac, webm).",
      );
    }
    body = peeked.stream;
  }
  const counted = measured(body, size);
  const { result, sha256 } = await storeMeasured(store(counted.stream, sniffed), counted.sha256);
  return { result, sha256, sniffed };
}

// ── Cleanup job ──────────────────────────────────────────────────────────────

/** The R2 keys still used by an audio record or an upload in progress, among those of these audio ids. */
export async function liveKeys(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  // By audio id alone (ids repeat across users at most by coincidence): the keys name their user, so the set is exact.
  const [files, uploads] = await Promise.all([
    db
      .select({ userId: audioFiles.userId, id: audioFiles.id, r2Key: audioFiles.r2Key })
      .from(audioFiles)
      .where(inArray(audioFiles.id, ids)),
    db.select().from(audioUploads).where(inArray(audioUploads.audioId, ids)),
  ]);
  return new Set([...files.map(fileKey), ...uploads.map(uploadKey)]);
}
