/**
 * Audio metadata, multipart bookkeeping and quota in Postgres. The bytes live
 * in R2 under `u/<user_id>/<audio_id>/<attempt>`: a fresh key for every upload
 * attempt (older files: `u/<user_id>/<audio_id>`), recorded in `r2_key`.
 */
import { and, asc, count, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { audioFiles, audioUploadParts, audioUploads, CONSTRAINT, focusTracks, referenceItems } from "../../db/schema";
import { AppError, idConflict, notFound, uniqueViolation } from "../errors";
import { toHex } from "../lib/crypto";
import { SNIFF_BYTES, sniffAudio, type Sniffed } from "../lib/audio-format";
import { measured, peek, storeMeasured } from "../lib/streams";
import { DEFAULT_AUDIO_QUOTA_BYTES, MIN_PART_BYTES } from "../protocol/audio";
import { isUuid } from "../protocol/common";
import { rowFromRaw, type RowOf, type ValuesOf } from "../protocol/registry";
import { findOwned, versionConflict, type WriteScope } from "../sync/write";
import { refusal, writeCall } from "../sync/call";
import type { Scope } from "../sync/scope";
import { paginate } from "./paginate";
import { ErrorCode } from "../protocol/rules";

type Upload = typeof audioUploads.$inferSelect;
type Part = typeof audioUploadParts.$inferSelect;

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
function audioRefused(err: unknown, quota: number, adding: number): void {
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

// ── Multipart uploads (plain tables, not synced) ─────────────────────────────

/**
 * What a multipart create needs to know before R2 is asked for anything: is
 * the audio id taken (a file or an open upload has it), and how many bytes the
 * quota holds. One statement, which the session check leads (the route is
 * pipelined), so it costs no round trip of its own.
 */
export async function uploadPreflight(db: Db, userId: string, audioId: string) {
  const result = await db.execute(sql`
    select continuum_audio_used(${userId}, null) as used,
      exists (select 1 from audio_files where user_id = ${userId} and id = ${audioId}::uuid)
        or exists (select 1 from audio_uploads where user_id = ${userId} and audio_id = ${audioId}::uuid) as taken`);
  const row = result.rows[0] as { used: unknown; taken: boolean };
  return { used: Number(row.used), taken: row.taken };
}

const uploadFromRaw = (r: Record<string, unknown>): Upload => ({
  id: r.id as string,
  userId: r.user_id as string,
  audioId: r.audio_id as string,
  r2UploadId: r.r2_upload_id as string,
  filename: r.filename as string,
  size: Number(r.size),
  format: (r.format ?? null) as Upload["format"],
  contentType: (r.content_type ?? null) as string | null,
  durationS: r.duration_s == null ? null : Number(r.duration_s),
  r2Key: (r.r2_key ?? null) as string | null,
  createdAt: new Date(r.created_at as string),
});

/**
 * Starts a multipart upload, after `uploadPreflight` (409 id_conflict when the
 * audio id is taken, 413 when the declared size doesn't fit): R2 starts the
 * upload, then one call (continuum_start_upload, migration 0036) checks both
 * again under the user's quota lock and records it, so two creates can't both
 * squeeze in. A create that loses a race aborts the R2 upload it made.
 */
export async function startUpload(
  db: Db,
  bucket: R2Bucket,
  quota: number,
  values: { userId: string; audioId: string; filename: string; size: number },
  pre: { used: number; taken: boolean },
): Promise<Upload> {
  if (pre.taken) throw idConflict();
  checkQuota(quota, pre.used, values.size);
  const r2Key = attemptKey(values.userId, values.audioId);
  const r2 = await bucket.createMultipartUpload(r2Key);
  const upload = {
    audio_id: values.audioId,
    filename: values.filename,
    size: values.size,
    r2_upload_id: r2.uploadId,
    r2_key: r2Key,
  };
  try {
    const result = await db.execute(
      sql`select * from continuum_start_upload(${values.userId}, ${JSON.stringify(upload)}::jsonb, ${quota}::bigint)`,
    );
    return uploadFromRaw(result.rows[0] as Record<string, unknown>);
  } catch (err) {
    await r2.abort().catch(() => {});
    audioRefused(err, quota, values.size);
    if (uniqueViolation(err) === CONSTRAINT.audioUploadKey) throw idConflict();
    throw err;
  }
}

/** The user's upload (no rows if not theirs): the query, unsent. */
export const uploadQuery = (db: Db, userId: string, id: string) =>
  db
    .select()
    .from(audioUploads)
    .where(and(eq(audioUploads.id, id), eq(audioUploads.userId, userId)))
    .limit(1);

/**
 * Deletes the user's audio record unless a track or reference plays it (409
 * `audio_in_use` with the counts): one call (continuum_delete_audio, migration
 * 0024) under the file's row lock. Returns the deleted row (its R2 key).
 */
export async function removeAudio(scope: WriteScope, id: string, expected: number | undefined) {
  if (!isUuid(id)) throw notFound("Audio");
  try {
    const r = await writeCall<{ row: Record<string, unknown> }>(
      scope,
      sql`select continuum_delete_audio(${scope.userId}, ${id}, ${expected ?? null}, ${scope.idempotency?.key ?? null}) as r`,
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

export const uploadParts = (db: Db | Tx, uploadId: string) =>
  db
    .select()
    .from(audioUploadParts)
    .where(eq(audioUploadParts.uploadId, uploadId))
    .orderBy(asc(audioUploadParts.partNumber));

/**
 * The user's upload (404 otherwise) and the bytes already received in its
 * other parts (a re-sent part replaces itself): one statement.
 */
export async function uploadForPart(db: Db, userId: string, id: string, partNumber: number) {
  if (!isUuid(id)) throw notFound("Upload");
  const [row] = await db
    .select({
      upload: audioUploads,
      otherBytes: sql<number>`(select coalesce(sum(p.size), 0) from audio_upload_parts p
        where p.upload_id = ${audioUploads.id} and p.part_number <> ${partNumber})`.mapWith(Number),
    })
    .from(audioUploads)
    .where(and(eq(audioUploads.id, id), eq(audioUploads.userId, userId)))
    .limit(1);
  if (!row) throw notFound("Upload");
  return row;
}

/** Records a stored part (a re-sent one replaces itself) and, for part 1, what its bytes were sniffed as: one statement. */
export async function savePart(db: Db, part: Part, sniffed: Sniffed | null): Promise<void> {
  const { uploadId, partNumber, etag, size, sha256 } = part;
  const saved = sql`insert into audio_upload_parts (upload_id, part_number, etag, size, sha256)
    values (${uploadId}, ${partNumber}, ${etag}, ${size}, ${sha256})
    on conflict (upload_id, part_number) do update
      set etag = excluded.etag, size = excluded.size, sha256 = excluded.sha256`;
  await db.execute(
    sniffed
      ? sql`with saved as (${saved} returning upload_id)
          update audio_uploads set format = ${sniffed.format}, content_type = ${sniffed.contentType},
            duration_s = ${sniffed.durationS} where id = (select upload_id from saved)`
      : saved,
  );
}

export const deleteUploads = (db: Db | Tx, ids: string[]) =>
  ids.length ? db.delete(audioUploads).where(inArray(audioUploads.id, ids)) : Promise.resolve();

export const staleUploads = (db: Db, before: Date, userId?: string) =>
  db
    .select()
    .from(audioUploads)
    .where(and(lt(audioUploads.createdAt, before), userId ? eq(audioUploads.userId, userId) : undefined))
    .limit(1000);

/**
 * The parts to assemble, in order, after checking R2's rules up front for a
 * clear error: parts 1..N all present, all but the last the same size
 * (≥ 5 MiB), the last no larger, and the total equal to the declared size.
 */
export function assembly(upload: Upload, parts: Part[]): { partNumber: number; etag: string }[] {
  const missing = parts.findIndex((p, i) => p.partNumber !== i + 1);
  if (parts.length === 0 || missing !== -1)
    throw new AppError(
      409,
      ErrorCode.upload_incomplete,
      `Part ${missing === -1 ? 1 : missing + 1} has not been uploaded.`,
    );
  const first = parts[0]!.size;
  const last = parts.at(-1)!;
  if (
    parts.slice(0, -1).some((p) => p.size !== first || p.size < MIN_PART_BYTES) ||
    (parts.length > 1 && last.size > first)
  )
    throw new AppError(
      422,
      ErrorCode.invalid_parts,
      `Every part but the last must have the same size, at least ${MIN_PART_BYTES} bytes; the last may be smaller.`,
    );
  const received = parts.reduce((n, p) => n + p.size, 0);
  if (received !== upload.size)
    throw new AppError(422, ErrorCode.size_mismatch, "The parts do not add up to the declared size.", {
      details: { declared_bytes: upload.size, received_bytes: received },
    });
  return parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
}

/** S3-style composite checksum: SHA-256 over the parts' SHA-256 digests, with the part count. */
export async function compositeChecksum(parts: Part[]): Promise<string> {
  const bytes = Uint8Array.from(parts.flatMap((p) => p.sha256.match(/../g)!.map((h) => parseInt(h, 16))));
  return `sha256:${toHex(await crypto.subtle.digest("SHA-256", bytes))}-${parts.length}`;
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

/** Completes the R2 multipart upload; a retry after a completed-but-unrecorded attempt finds the object already there. */
export async function completeInR2(bucket: R2Bucket, upload: Upload, parts: R2UploadedPart[]): Promise<R2Object> {
  const key = uploadKey(upload);
  try {
    return await bucket.resumeMultipartUpload(key, upload.r2UploadId).complete(parts);
  } catch (err) {
    const existing = await bucket.head(key);
    if (existing?.size === upload.size) return existing;
    throw err;
  }
}

/** Aborts the upload in R2 (one already completed, aborted or expired is fine). */
export async function abortInR2(bucket: R2Bucket, upload: Upload): Promise<void> {
  try {
    await bucket.resumeMultipartUpload(uploadKey(upload), upload.r2UploadId).abort();
  } catch {
    // already completed, aborted or expired
  }
}

/** Aborts the upload in R2 (one already gone is fine) and forgets it. */
export async function abortUpload(db: Db, bucket: R2Bucket, upload: Upload): Promise<void> {
  await abortInR2(bucket, upload);
  await deleteUploads(db, [upload.id]);
}

/**
 * Forgets the user's upload (404 if there is none) and returns it, in one
 * statement: the route sends it with the session check and aborts the R2
 * upload after (R2 only for a confirmed session).
 */
export async function forgetUpload(db: Db, userId: string, id: string): Promise<Upload> {
  if (!isUuid(id)) throw notFound("Upload");
  const [row] = await db
    .delete(audioUploads)
    .where(and(eq(audioUploads.id, id), eq(audioUploads.userId, userId)))
    .returning();
  if (!row) throw notFound("Upload");
  return row;
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
