/**
 * SPEC §5 "Your data": GET /api/export streams the user's archive (README,
 * "Your data", describes its layout). The archive is built while it is sent:
 * a page of records or an R2 body at a time, never the whole in memory.
 */
import { exportEntries, firstPages } from "../data/export";
import { openDb } from "../../db/client";
import { type Api, binary, confirmed, createApi, documentSchema, register, route } from "../lib/openapi";
import { zipStream } from "../lib/zip";
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
