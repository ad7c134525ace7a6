import { z } from "zod";
import { defineRecord } from "./declare.ts";
import { audioFiles, type audioUploadParts, type audioUploads } from "../../db/schema.ts";
import { pageQuery, recordBase, recordToWire } from "./common.ts";

/** One request body: the Workers request-size limit (Free/Pro). Larger files use multipart. */
export const MAX_DIRECT_UPLOAD_BYTES = 100_000_000;
/** R2 multipart rules: every part but the last has the same size, at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = MAX_DIRECT_UPLOAD_BYTES;
export const MAX_PARTS = 10_000;
export const DEFAULT_AUDIO_QUOTA_BYTES = 1024 ** 3;
/** Abandoned multipart uploads are aborted by the cron job after this. */
export const UPLOAD_TTL_HOURS = 24;

export const audioFormats = ["mp3", "wav", "ogg", "flac", "m4a", "aac", "webm"] as const;
export type AudioFormat = (typeof audioFormats)[number];

export const audioSchema = z
  .object({
    ...recordBase,
    filename: z.string(),
    /** Sniffed from the bytes (the client's Content-Type only has to be audio/*). */
    content_type: z.string(),
    format: z.enum(audioFormats),
    size: z.number(),
    /** `sha256:<hex>`; multipart uploads: `sha256:<hex>-<parts>` (SHA-256 over the parts' SHA-256 digests, as S3 composite checksums). */
    checksum: z.string(),
    duration_s: z.number().nullable(),
  })
  .meta({ id: "Audio" });
export type Audio = z.infer<typeof audioSchema>;

export const filenameSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]*$/, "no control characters");
export const audioContentType = z.string().regex(/^audio\/[\w.+-]+(\s*;.*)?$/i, "must be audio/*");

export const listAudioQuery = z.strictObject({ ...pageQuery });

/** POST /api/audio/uploads: starts a multipart upload of `size` bytes. */
export const createUploadSchema = z.strictObject({
  /** The audio record's id (client-generated ids are allowed, as for every record). */
  id: z.uuid().optional(),
  filename: filenameSchema,
  content_type: audioContentType,
  size: z
    .number()
    .int()
    .min(1)
    .max(MAX_PARTS * MAX_PART_BYTES),
});
export type CreateUpload = z.infer<typeof createUploadSchema>;

export const uploadSchema = z
  .object({
    upload_id: z.uuid(),
    audio_id: z.uuid(),
    filename: z.string(),
    size: z.number(),
    created_at: z.string(),
    expires_at: z.string(),
    min_part_size: z.number(),
    max_part_size: z.number(),
    parts: z.array(z.object({ part_number: z.number(), size: z.number(), sha256: z.string() })),
  })
  .meta({ id: "Upload" });
export type Upload = z.infer<typeof uploadSchema>;

/** PUT /api/audio/uploads/{id}/parts/{n}: the stored part. */
export const partSchema = z.object({ part_number: z.number(), size: z.number(), sha256: z.string() });

export const partNumberSchema = z.coerce.number().int().min(1).max(MAX_PARTS);

export function audioToWire(row: typeof audioFiles.$inferSelect): Audio {
  return {
    ...recordToWire(row),
    filename: row.filename,
    content_type: row.contentType,
    format: row.format,
    size: row.size,
    checksum: row.checksum,
    duration_s: row.durationS,
  };
}

export function uploadToWire(
  row: typeof audioUploads.$inferSelect,
  parts: (typeof audioUploadParts.$inferSelect)[],
): Upload {
  return {
    upload_id: row.id,
    audio_id: row.audioId,
    filename: row.filename,
    size: row.size,
    created_at: row.createdAt.toISOString(),
    expires_at: new Date(row.createdAt.getTime() + UPLOAD_TTL_HOURS * 3_600_000).toISOString(),
    min_part_size: MIN_PART_BYTES,
    max_part_size: MAX_PART_BYTES,
    parts: parts.map((p) => ({ part_number: p.partNumber, size: p.size, sha256: p.sha256 })),
  };
}

export const audioRecord = defineRecord({
  entity: "audio",
  table: audioFiles,
  toWire: audioToWire,
  schema: audioSchema,
  label: "Audio",
});
