/**
 * SPEC §5 Audio, multipart uploads (files over 100 MB, parts of equal size ≥ 5
 * MiB but the last), registered among the audio routes (routes/audio.ts). Each
 * route is pipelined: its first statement carries the session check, R2 is
 * touched only after it has passed, and the record or part is written after R2
 * (data/uploads.ts).
 */
import type { Context } from "hono";
import { z } from "zod";
import { checkQuota, quotaBytes, recordAudio, streamToR2, uploadKey, usedBytesQuery, usedOf } from "../data/audio";
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
import { batch } from "../../db/client";
import { AppError, notFound } from "../errors";
import { binary, confirmed, idParam, jsonContent, jsonRequest, register, route, type Api } from "../http/openapi";
import { scopeOf, sendRecord } from "../http/record";
import {
  MAX_PART_BYTES,
  audioSchema,
  createUploadSchema,
  partNumberSchema,
  partSchema,
  uploadSchema,
  uploadToWire,
} from "../protocol/audio";
import { isUuid } from "../protocol/common";

const tags = ["Audio"];
const audioRecord = jsonContent(audioSchema, "The audio record");
const uploadRecord = jsonContent(uploadSchema, "The multipart upload");

/** Content-Length of a binary upload: 411 without, 413 over `max`. */
export function contentLength(c: { req: Context["req"] }, max: number): number {
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

/** The multipart routes, on the audio routes' app (before its `/{id}` routes). */
export function multipartRoutes(audio: Api): void {
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
        return sendRecord(c, "audio", row, created ? 201 : 200);
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
}
