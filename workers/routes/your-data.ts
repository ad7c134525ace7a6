/**
 * SPEC §5 "Your data": GET /api/export streams the user's archive (README,
 * "Your data", describes its layout). The archive is built while it is sent:
 * a page of records or an R2 body at a time, never the whole in memory.
 */
import { quotaBytes } from "../data/audio";
import { exportEntries, firstPages } from "../data/export";
import { importArchive } from "../data/import";
import { AppError } from "../errors";
import { ErrorCode } from "../protocol/rules";
import { importReportSchema } from "../protocol/your-data";
import { scopeOf } from "../http/record";
import { openDb } from "../../db/client";
import { type Api, binary, confirmed, createApi, documentSchema, jsonContent, register, route } from "../http/openapi";
import { ZipReader, zipStream } from "../lib/zip";
import { userToWire } from "../protocol/auth";
import { entities, type EntityName } from "../protocol/registry";

export const yourData = createApi();
const tags = ["Your data"];

/**
 * Every record type's wire schema is a component of the document (the
 * manifest names them), even the ones no route returns on its own (LoopLike,
 * Message). Called on the top-level app: a sub-app's schema definitions are
 * re-registered through `.openapi()` when it is mounted.
 */
export function documentRecordSchemas(app: Api): void {
  for (const entity of Object.keys(entities) as EntityName[]) documentSchema(app, entities[entity].schema);
}

register(
  yourData,
  route({
    pipelined: true,
    method: "get",
    path: "/export",
    tags,
    operationId: "exportData",
    description:
      "A ZIP archive (stored, streamed) of every record of the signed-in user: `manifest.json` (format, version, " +
      "and for each record type its file and the schema in this document that describes its records), " +
      "`records/<entity>.json` (a JSON array of wire records, one per line) and `audio/<id>.<format>` (the bytes " +
      "of each audio file). `POST /api/import` restores it into an account.",
    responses: {
      200: {
        description: "The archive (Content-Disposition: attachment)",
        content: { "application/zip": { schema: binary } },
      },
    },
  }),
  async (c) => {
    // The first query: it travels with the session check (middleware/auth.ts), and holds every
    // record of most accounts; only longer collections and the audio bytes are read while streaming.
    const first = await firstPages(c.var.db, c.var.user.id);
    const full = await confirmed(c); // no round trip: the first query carried the check
    const user = userToWire(full.var.user);
    // Its own database handle: the request's closes when the handler returns, the stream reads on.
    const handle = openDb(full.env);
    handle.actAs(full.var.user.id); // row-level security: the session check above passed for this user
    async function* entries() {
      try {
        yield* exportEntries(handle.db, full.env.AUDIO, user, first);
      } finally {
        c.executionCtx.waitUntil(handle.close());
      }
    }
    const day = new Date().toISOString().slice(0, 10);
    return new Response(zipStream(entries()), {
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="continuum-${user.username}-${day}.zip"`,
        "cache-control": "no-store",
      },
    });
  },
);

register(
  yourData,
  route({
    method: "post",
    path: "/import",
    tags,
    operationId: "importData",
    pipelined: true,
    description:
      "Restores an archive from `GET /api/export` into the signed-in account (README, Your data). Every record is " +
      "checked against its schema (422 `invalid_archive`, with the file, record and field, and nothing written); " +
      "records keep their ids unless another user holds them (loops, custom rewards get a derived id, and " +
      "references follow). Idempotent and resumable: the same archive again — or after a failure part-way — " +
      "skips what is there and does the rest. Coins, purchases and achievements are not imported.",
    request: {
      body: { content: { "application/zip": { schema: binary } }, required: true },
    },
    responses: { 200: jsonContent(importReportSchema, "What was imported, already there, or skipped") },
    errors: [400, 413, 415],
  }),
  async (c) => {
    if (!/^application\/(zip|x-zip-compressed)\b/i.test(c.req.header("content-type") ?? ""))
      throw new AppError(415, ErrorCode.unsupported_media_type, "Send the archive as application/zip.");
    const body = c.req.raw.body;
    if (!body) throw new AppError(400, ErrorCode.empty_body, "The archive is missing.");
    // Pipelined: the archive's reads (or, for a large one, the check alone) carry the session check;
    // its username, R2 and the quota only once that has passed.
    const report = await importArchive(scopeOf(c), new ZipReader(body), {
      confirm: async () => {
        const full = await confirmed(c);
        return { username: full.var.user.username, bucket: full.env.AUDIO, quota: quotaBytes(full.env) };
      },
    });
    return c.json(report, 200);
  },
);
