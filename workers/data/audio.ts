/**
 * Audio metadata, multipart bookkeeping and quota in Postgres. The bytes live
 * in R2 under `u/<user_id>/<audio_id>/<attempt>`: a fresh key for every upload
 * attempt (older files: `u/<user_id>/<audio_id>`), recorded in `r2_key`.
 */
import { and, asc, count, desc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { audioFiles, audioUploadParts, audioUploads, CONSTRAINT, focusTracks, referenceItems } from "../../db/schema";
import { AppError, idConflict, notFound, uniqueViolation } from "../errors";
import { toHex } from "../lib/crypto";
import { SNIFF_BYTES, sniffAudio, type Sniffed } from "../lib/audio-format";
import { measured, peek, storeMeasured } from "../lib/streams";
import { DEFAULT_AUDIO_QUOTA_BYTES, MIN_PART_BYTES } from "../protocol/audio";
import { isUuid } from "../protocol/common";
import type { ValuesOf } from "../protocol/row-mapping";
import { findOwned, versionConflict, type Writer, type WriteScope } from "../sync/write";
import { refusal, writeCall } from "../sync/call";
import { rowFromRaw } from "../protocol/row-mapping";
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
 * 413 quota_exceeded unless `adding` more bytes fit in the user's quota. Used
 * = stored files + the declared sizes of open multipart uploads (R2 holds
 * their parts already), except `completing`, the upload that becomes `adding`.
 */
export async function assertQuota(
  db: Db | Tx,
  quota: number,
  userId: string,
  adding: number,
  completing?: string,
): Promise<void> {
  const result = await db.execute(sql`
    select (select coalesce(sum(size), 0) from audio_files where user_id = ${userId})
         + (select coalesce(sum(size), 0) from audio_uploads
            where user_id = ${userId} and id is distinct from ${completing ?? null}::uuid) as used`);
  const used = Number((result.rows[0] as { used: unknown }).used);
  if (used + adding > quota)
    throw new AppError(413, ErrorCode.quota_exceeded, "This upload would exceed your audio storage quota.", {
      details: { quota_bytes: quota, used_bytes: used, requested_bytes: adding },
    });
}

/**
 * Writes an audio record inside the user's quota: the check runs under a
 * per-user lock (parallel uploads can't both squeeze in), then `values` runs
 * (e.g. completes the R2 upload). Run in a transaction.
 */
export async function recordAudio(
  w: Writer,
  userId: string,
  quota: number,
  size: number,
  values: () => Promise<ValuesOf<"audio">>,
  completing?: string,
) {
  await lockQuota(w.db, userId);
  await assertQuota(w.db, quota, userId, size, completing);
  return w.insert("audio", await values());
}

/** Serialises a user's quota checks with the writes they guard (transaction-scoped). */
export const lockQuota = (db: Db | Tx, userId: string) =>
  db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`audio_quota:${userId}`}, 0))`);

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
 * Starts a multipart upload: the id is checked and the quota (counting the
 * other open uploads) asserted before R2 is asked for anything, all under the
 * user's quota lock so two creates can't both squeeze in. 409 id_conflict when
 * an audio record or another upload already has this audio id (a create that
 * loses a race for the id aborts the R2 upload it made).
 */
export async function startUpload(
  db: Db,
  bucket: R2Bucket,
  quota: number,
  values: Omit<typeof audioUploads.$inferInsert, "r2UploadId" | "r2Key">,
): Promise<Upload> {
  const taken = new AppError(409, ErrorCode.id_conflict, "A record already uses this id.");
  const idTaken = async (q: Db | Tx) =>
    (await findAudioById(q, values.userId, values.audioId)) !== undefined ||
    (
      await q
        .select({ id: audioUploads.id })
        .from(audioUploads)
        .where(and(eq(audioUploads.userId, values.userId), eq(audioUploads.audioId, values.audioId)))
    ).length > 0;
  if (await idTaken(db)) throw taken;
  await assertQuota(db, quota, values.userId, values.size);
  const r2Key = attemptKey(values.userId, values.audioId);
  const r2 = await bucket.createMultipartUpload(r2Key);
  try {
    return await db.transaction(async (tx) => {
      await lockQuota(tx, values.userId);
      if (await idTaken(tx)) throw taken;
      await assertQuota(tx, quota, values.userId, values.size);
      const [row] = await tx
        .insert(audioUploads)
        .values({ ...values, r2UploadId: r2.uploadId, r2Key })
        .returning();
      return row!;
    });
  } catch (err) {
    await r2.abort().catch(() => {});
    if (uniqueViolation(err) === CONSTRAINT.audioUploadKey) throw taken;
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

export async function findUpload(db: Db, userId: string, id: string): Promise<Upload> {
  const missing = notFound("Upload");
  if (!isUuid(id)) throw missing;
  const [row] = await uploadQuery(db, userId, id);
  if (!row) throw missing;
  return row;
}

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

/** Bytes already received in the upload's other parts (a re-sent part replaces itself). */
export async function otherPartsBytes(db: Db, uploadId: string, partNumber: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${audioUploadParts.size}), 0)`.mapWith(Number) })
    .from(audioUploadParts)
    .where(and(eq(audioUploadParts.uploadId, uploadId), ne(audioUploadParts.partNumber, partNumber)));
  return row?.n ?? 0;
}

export async function savePart(db: Db, part: Part, sniffed: Sniffed | null): Promise<void> {
  const { uploadId, partNumber: _n, ...rest } = part;
  await db
    .insert(audioUploadParts)
    .values(part)
    .onConflictDoUpdate({ target: [audioUploadParts.uploadId, audioUploadParts.partNumber], set: rest });
  if (sniffed)
    await db
      .update(audioUploads)
      .set({ format: sniffed.format, contentType: sniffed.contentType, durationS: sniffed.durationS })
      .where(eq(audioUploads.id, uploadId));
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

/** Aborts the upload in R2 (one already gone is fine) and forgets it. */
export async function abortUpload(db: Db, bucket: R2Bucket, upload: Upload): Promise<void> {
  try {
    await bucket.resumeMultipartUpload(uploadKey(upload), upload.r2UploadId).abort();
  } catch {
    // already completed, aborted or expired
  }
  await deleteUploads(db, [upload.id]);
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
