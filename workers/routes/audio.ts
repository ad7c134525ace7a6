/**
 * SPEC §5 Audio (R2). Uploads stream into R2 (never buffered whole): one
 * request up to 100 MB, or multipart for larger files. The first bytes are
 * sniffed; the quota (stored files + open uploads' declared sizes) is checked
 * before any byte is stored and again, under a per-user lock, when the record
 * is written. Every attempt writes its own R2 object (data/audio.ts). Playback streams from R2 with
 * ranges and ETags. Metadata is a synced record (`audio`).
 */
import type { Context } from "hono";
import { z } from "zod";
import type { audioFiles } from "../../db/schema";
import {
  attemptKey,
  checkQuota,
  directUploadPreflight,
  fileKey,
  listAudio,
  quotaBytes,
  recordAudio,
  removeAudio,
  repeatedUpload,
  streamToR2,
  uploadKey,
  usedBytesQuery,
  usedOf,
} from "../data/audio";
import {
  abortInR2,
  abortUpload,
  assembly,
  completeInR2,
  compositeChecksum,
  forgetUpload,
  savePart,
  startUpload,
  uploadForPart,
  uploadParts,
  uploadPreflight,
  uploadQuery,
} from "../data/uploads";
import type { AppEnv } from "../env";
import { AppError, idConflict, notFound } from "../errors";
import { contentDisposition, etagMatches, parseRange } from "../lib/http-range";
import { getRoute, listRoute } from "../http/crud";
import { binary, confirmed, createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { batch } from "../../db/client";
import {
  MAX_DIRECT_UPLOAD_BYTES,
  MAX_PART_BYTES,
  audioContentType,
  audioSchema,
  audioToWire,
  createUploadSchema,
  filenameSchema,
  listAudioQuery,
  partNumberSchema,
  partSchema,
  uploadSchema,
  uploadToWire,
} from "../protocol/audio";
import { isUuid } from "../protocol/common";
import { expectedVersion, requestScope, scopeOf, sendRecord } from "../http/record";
import { findOwned } from "../sync/write";

type Row = typeof audioFiles.$inferSelect;
/** The header checks read the request only (they run before the session is known). */
type WithRequest = { req: Context["req"] };

const respond = (c: Context<AppEnv>, row: Row, status: 200 | 201 = 200) => sendRecord(c, "audio", row, status);

/** Content-Length of a binary upload: 411 without, 413 over `max`. */
function contentLength(c: WithRequest, max: number): number {
  const raw = c.req.header("content-length");
  if (raw === undefined)
    throw new AppError(
      411,
      "length_required",
      "Send Content-Length; streams of unknown length can use multipart uploads.",
    );
  if (!/^\d{1,16}$/.test(raw))
    throw new AppError(400, "invalid_content_length", "Content-Length must be a byte count.");
  const n = Number(raw);
  if (n === 0 || !c.req.raw.body) throw new AppError(400, "empty_body", "The upload is empty.");
  if (n > max)
    throw new AppError(
      413,
      "payload_too_large",
      `At most ${max} bytes per request; larger files use multipart uploads.`,
      {
        details: { max_bytes: max },
      },
    );
  return n;
}

/** The headers of `POST /api/audio`: audio/* type, length, `X-Filename` (may be percent-encoded UTF-8), optional `X-Audio-Id`. */
function directUpload(c: WithRequest) {
  if (!audioContentType.safeParse(c.req.header("content-type") ?? "").success)
    throw new AppError(415, "unsupported_media_type", "Send the file with an audio/* Content-Type.");
  const size = contentLength(c, MAX_DIRECT_UPLOAD_BYTES);
  const raw = c.req.header("x-filename");
  if (raw === undefined) throw new AppError(400, "filename_required", "Send the original file name in X-Filename.");
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // not percent-encoded: taken as is
  }
  const filename = filenameSchema.safeParse(decoded);
  if (!filename.success)
    throw new AppError(400, "invalid_filename", "X-Filename must be 1–255 characters, without control characters.");
  const clientId = c.req.header("x-audio-id");
  if (clientId !== undefined && !isUuid(clientId))
    throw new AppError(400, "invalid_audio_id", "X-Audio-Id must be a UUID.");
  return { size, filename: filename.data, clientId };
}

export const audio = createApi();
const tags = ["Audio"];
const audioRecord = jsonContent(audioSchema, "The audio record");
const uploadRecord = jsonContent(uploadSchema, "The multipart upload");

listRoute(audio, {
  pipelined: true,
  path: "/",
  tag: "Audio",
  operationId: "listAudio",
  record: audioSchema,
  query: listAudioQuery,
  list: listAudio,
  toWire: audioToWire,
});

register(
  audio,
  route({
    method: "post",
    path: "/",
    pipelined: true,
    tags,
    operationId: "uploadAudio",
    description:
      "Streams one file (≤ 100 MB) into R2. The type is sniffed from the bytes (mp3, wav, ogg/opus, flac, m4a/aac, webm). " +
      "`X-Filename` (may be percent-encoded UTF-8) is required; `X-Audio-Id` chooses the id (a retried upload is idempotent).",
    request: {
      headers: z.object({
        "content-type": z.string(),
        "content-length": z.string().optional(),
        "x-filename": z.string().optional(),
        "x-audio-id": z.string().optional(),
        "idempotency-key": z.string().optional(),
      }),
      body: { content: { "audio/*": { schema: binary } }, required: true },
    },
    responses: { 201: audioRecord, 200: jsonContent(audioSchema, "The same upload again: the existing record") },
    errors: [400, 409, 411, 413, 415],
  }),
  async (p) => {
    const { size, filename, clientId } = directUpload(p);
    const userId = p.var.user.id;
    // The record a client id may already name and the quota's used bytes: one statement, which carries
    // the session check. R2 is touched only once that check has passed.
    const pre = await directUploadPreflight(p.var.db, userId, clientId);
    const c = await confirmed(p);
    const quota = quotaBytes(c.env);
    if (pre.existing) {
      // A create repeating its id: the same upload (name and size) is the stored record, anything else 409.
      if (pre.existing.filename === filename && pre.existing.size === size) return respond(c, pre.existing);
      throw idConflict();
    }
    checkQuota(quota, pre.used, size);
    const id = clientId || crypto.randomUUID();
    const key = attemptKey(userId, id);
    const stored = await streamToR2(
      c.req.raw.body!,
      size,
      (stream, sniffed) => c.env.AUDIO.put(key, stream, { httpMetadata: { contentType: sniffed!.contentType } }),
      { fileSize: size },
    );
    const { contentType, format, durationS } = stored.sniffed!;
    const values = {
      id,
      filename,
      contentType,
      format,
      size,
      durationS,
      checksum: `sha256:${stored.sha256}`,
      etag: stored.result.httpEtag,
      r2Key: key,
    };
    try {
      // One call: the quota again under the user's lock, the record, its change.
      const { row, created } = await recordAudio(scopeOf(c), quota, values);
      return respond(c, row, created ? 201 : 200);
    } catch (err) {
      // Only this attempt's own object: a racing attempt that won keeps its bytes.
      await c.env.AUDIO.delete(key); // (a leftover would be removed by the cleanup job)
      // Lost a race to the same upload (same id, name, size and bytes): its record is ours too.
      if (err instanceof AppError && err.code === "id_conflict" && clientId) {
        const winner = await repeatedUpload(c.var.db, userId, clientId, filename, size);
        if (winner?.checksum === values.checksum) return respond(c, winner);
      }
      throw err;
    }
  },
);

register(
  audio,
  route({
    method: "post",
    path: "/uploads",
    pipelined: true,
    tags,
    operationId: "createUpload",
    description: "Starts a multipart upload for files over 100 MB (parts of equal size ≥ 5 MiB but the last).",
    request: jsonRequest(createUploadSchema),
    responses: { 201: uploadRecord },
    errors: [400, 413, 415],
  }),
  async (p) => {
    const body = p.req.valid("json");
    const userId = p.var.user.id;
    const audioId = body.id ?? crypto.randomUUID();
    const { filename, size } = body;
    // Is the id taken, how full is the quota: with the session check, before R2 is asked for anything.
    const pre = await uploadPreflight(p.var.db, userId, audioId);
    const c = await confirmed(p);
    const values = { userId, audioId, filename, size };
    const upload = await startUpload(c.var.db, c.env.AUDIO, quotaBytes(c.env), values, pre);
    return c.json(uploadToWire(upload, []), 201);
  },
);

register(
  audio,
  route({
    method: "get",
    path: "/uploads/{id}",
    tags,
    operationId: "getUpload",
    pipelined: true,
    request: { params: idParam("id") },
    responses: { 200: uploadRecord },
    errors: [404],
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!isUuid(id)) throw notFound("Upload");
    // The upload and its parts in one round trip (the parts see through the upload's row-level security).
    const [[upload], parts] = await batch(c.var.db, [
      uploadQuery(c.var.db, c.var.user.id, id),
      uploadParts(c.var.db, id),
    ]);
    if (!upload) throw notFound("Upload");
    return c.json(uploadToWire(upload, parts));
  },
);

register(
  audio,
  route({
    method: "put",
    path: "/uploads/{id}/parts/{n}",
    pipelined: true,
    tags,
    operationId: "uploadPart",
    request: {
      params: idParam("id", "n"),
      headers: z.object({ "content-length": z.string().optional(), "idempotency-key": z.string().optional() }),
      body: { content: { "application/octet-stream": { schema: binary } }, required: true },
    },
    responses: { 200: jsonContent(partSchema, "The stored part") },
    errors: [400, 404, 411, 413, 415],
  }),
  async (p) => {
    const n = partNumberSchema.safeParse(p.req.valid("param").n);
    if (!n.success) throw new AppError(400, "invalid_part_number", "Part numbers are 1–10000.");
    const size = contentLength(p, MAX_PART_BYTES);
    // The upload and its other parts' bytes, with the session check: R2 only after it has passed.
    const { upload, otherBytes } = await uploadForPart(p.var.db, p.var.user.id, p.req.valid("param").id, n.data);
    const c = await confirmed(p);
    if (otherBytes + size > upload.size)
      throw new AppError(413, "payload_too_large", "The parts would exceed the upload's declared size.", {
        details: { declared_bytes: upload.size },
      });
    const r2 = c.env.AUDIO.resumeMultipartUpload(uploadKey(upload), upload.r2UploadId);
    const stored = await streamToR2(
      c.req.raw.body!,
      size,
      (stream) => r2.uploadPart(n.data, stream),
      n.data === 1 ? { fileSize: upload.size } : undefined,
    );
    const sha256 = stored.sha256;
    await savePart(
      c.var.db,
      { uploadId: upload.id, partNumber: n.data, etag: stored.result.etag, size, sha256 },
      stored.sniffed,
    );
    return c.json({ part_number: n.data, size, sha256 });
  },
);

register(
  audio,
  route({
    method: "post",
    path: "/uploads/{id}/complete",
    pipelined: true,
    tags,
    operationId: "completeUpload",
    request: { params: idParam("id") },
    responses: { 201: audioRecord, 200: jsonContent(audioSchema, "Already completed: the existing record") },
    errors: [400, 404, 413],
  }),
  async (p) => {
    const id = p.req.valid("param").id;
    if (!isUuid(id)) throw notFound("Upload");
    // The upload, its parts and the quota's other bytes in one batch, which carries the session check.
    const db = p.var.db;
    const [[upload], parts, used] = await batch(db, [
      uploadQuery(db, p.var.user.id, id),
      uploadParts(db, id),
      usedBytesQuery(db, p.var.user.id, id),
    ]);
    if (!upload) throw notFound("Upload");
    const c = await confirmed(p);
    const plan = assembly(upload, parts);
    const quota = quotaBytes(c.env);
    try {
      checkQuota(quota, usedOf(used), upload.size); // before R2 assembles anything
    } catch (err) {
      await abortUpload(c.var.db, c.env.AUDIO, upload); // nothing stored
      throw err;
    }
    const checksum = await compositeChecksum(parts);
    const object = await completeInR2(c.env.AUDIO, upload, plan);
    try {
      // One call: the quota again under the user's lock, the record and its change, the upload forgotten.
      const { row, created } = await recordAudio(
        scopeOf(c),
        quota,
        {
          id: upload.audioId,
          filename: upload.filename,
          contentType: upload.contentType!,
          format: upload.format!,
          size: upload.size,
          checksum,
          etag: object.httpEtag,
          durationS: upload.durationS,
          r2Key: uploadKey(upload),
        },
        upload.id,
      );
      return respond(c, row, created ? 201 : 200);
    } catch (err) {
      // Over the quota after all (another upload took the room meanwhile): the assembled object goes too.
      if (err instanceof AppError && err.code === "quota_exceeded") {
        await c.env.AUDIO.delete(uploadKey(upload));
        await abortUpload(c.var.db, c.env.AUDIO, upload);
      }
      throw err;
    }
  },
);

register(
  audio,
  route({
    method: "delete",
    path: "/uploads/{id}",
    pipelined: true,
    tags,
    operationId: "abortUpload",
    request: { params: idParam("id") },
    responses: { 204: { description: "Aborted" } },
    errors: [404],
  }),
  async (p) => {
    // Forgotten in the statement that carries the session check; R2 is told after it has passed.
    const upload = await forgetUpload(p.var.db, p.var.user.id, p.req.valid("param").id);
    const c = await confirmed(p);
    await abortInR2(c.env.AUDIO, upload); // if this fails, R2 expires the unfinished upload
    return c.body(null, 204);
  },
);

getRoute(audio, {
  pipelined: true,
  path: "/{id}/meta",
  tag: "Audio",
  operationId: "getAudioMeta",
  entity: "audio",
  record: audioSchema,
});

register(
  audio,
  route({
    method: "get",
    path: "/{id}",
    pipelined: true,
    tags,
    operationId: "streamAudio",
    description: "The bytes, with `Accept-Ranges: bytes`; `Range` → 206 with `Content-Range`; `If-None-Match` → 304.",
    request: {
      params: idParam("id"),
      headers: z.object({
        range: z.string().optional(),
        "if-range": z.string().optional(),
        "if-none-match": z.string().optional(),
      }),
    },
    responses: {
      200: { description: "The whole file", content: { "audio/*": { schema: binary } } },
      206: { description: "The requested byte range (Content-Range)", content: { "audio/*": { schema: binary } } },
      304: { description: "Not modified (ETag matched)" },
    },
    errors: [404, 416],
  }),
  async (p) => {
    const row = await findOwned(p.var.db, "audio", p.var.user.id, p.req.valid("param").id);
    const c = await confirmed(p); // no round trip: the read carried the session check
    c.header("Accept-Ranges", "bytes");
    c.header("ETag", row.etag);
    c.header("Content-Type", row.contentType);
    c.header("Content-Disposition", contentDisposition(row.filename));
    // The bytes behind an id never change.
    c.header("Cache-Control", "private, max-age=31536000, immutable");
    if (etagMatches(c.req.header("if-none-match"), row.etag)) return c.body(null, 304);
    const ifRange = c.req.header("if-range");
    const range =
      ifRange === undefined || ifRange === row.etag ? parseRange(c.req.header("range"), row.size) : undefined;
    if (range === "unsatisfiable")
      throw new AppError(416, "range_not_satisfiable", `The file has ${row.size} bytes.`, {
        headers: { "Content-Range": `bytes */${row.size}` },
      });
    const object = await c.env.AUDIO.get(fileKey(row), range ? { range } : {});
    if (!object) throw notFound("Audio bytes");
    if (!range) {
      c.header("Content-Length", String(row.size));
      return c.body(object.body, 200);
    }
    c.header("Content-Length", String(range.length));
    c.header("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${row.size}`);
    return c.body(object.body, 206);
  },
);

register(
  audio,
  route({
    method: "delete",
    path: "/{id}",
    pipelined: true,
    tags,
    operationId: "deleteAudio",
    request: { params: idParam("id") },
    responses: { 204: { description: "Deleted" } },
    errors: [400, 404],
  }),
  async (p) => {
    const row = await removeAudio(requestScope(p), p.req.valid("param").id, expectedVersion(p));
    const c = await confirmed(p);
    await c.env.AUDIO.delete(fileKey(row)); // if this fails, the cleanup job removes the orphan
    return c.body(null, 204);
  },
);
