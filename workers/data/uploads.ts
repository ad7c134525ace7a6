/**
 * Multipart uploads (plain tables, not synced): the upload row, its parts and
 * the R2 multipart upload behind them, for files over 100 MB. The quota counts
 * an open upload's declared size from its start (./audio.ts), so completing it
 * never needs more room than it reserved.
 */
import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { audioUploadParts, audioUploads, CONSTRAINT } from "../../db/schema";
import { AppError, idConflict, notFound, uniqueViolation } from "../errors";
import { toHex } from "../lib/crypto";
import type { Sniffed } from "../lib/audio-format";
import { MIN_PART_BYTES } from "../protocol/audio";
import { isUuid } from "../protocol/common";
import { ErrorCode } from "../protocol/rules";
import { attemptKey, audioRefused, checkQuota, uploadKey, type Upload } from "./audio";

type Part = typeof audioUploadParts.$inferSelect;

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
