/**
 * SPEC §5 Audio (R2). Uploads stream into R2 (never buffered whole): one
 * request up to 100 MB, or multipart for larger files. The first bytes are
 * sniffed; the quota (stored files + open uploads' declared sizes) is checked
 * before any byte is stored and again, under a per-user lock, when the record
 * is written. Every attempt writes its own R2 object (data/audio.ts). Playback streams from R2 with
 * ranges and ETags. Metadata is a synced record (`audio`). Multipart: ./audio-uploads.ts.
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
} from "../data/audio";
import type { AppEnv } from "../env";
import { AppError, idConflict, notFound } from "../errors";
import { contentDisposition, etagMatches, parseRange } from "../lib/http-range";
import { getRoute, listRoute } from "../http/crud";
import { binary, confirmed, createApi, idParam, jsonContent, register, route } from "../http/openapi";
import {
  MAX_DIRECT_UPLOAD_BYTES,
  audioContentType,
  audioSchema,
  audioToWire,
  filenameSchema,
  listAudioQuery,
} from "../protocol/audio";
import { isUuid } from "../protocol/common";
import { contentLength, multipartRoutes } from "./audio-uploads";
import { expectedVersion, scopeOf, sendRecord } from "../http/record";
import { findOwned } from "../sync/write";

type Row = typeof audioFiles.$inferSelect;
/** The header checks read the request only (they run before the session is known). */
type WithRequest = { req: Context["req"] };

const respond = (c: Context<AppEnv>, row: Row, status: 200 | 201 = 200) => sendRecord(c, "audio", row, status);

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

multipartRoutes(audio);

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
    const row = await removeAudio(scopeOf(p), p.req.valid("param").id, expectedVersion(p));
    const c = await confirmed(p);
    await c.env.AUDIO.delete(fileKey(row)); // if this fails, the cleanup job removes the orphan
    return c.body(null, 204);
  },
);
