/** SPEC §4: the change feed (pull by cursor) and the live WebSocket. */
import { z } from "zod";
import { changesSince, snapshotBefore } from "../data/changes";
import { AppError } from "../errors";
import { confirmed, createApi, jsonContent, register, route } from "../http/openapi";
import { changesQuery, changesResponseSchema, snapshotQuery, snapshotResponseSchema } from "../protocol/sync";
import { TOMBSTONE_GRACE_MS } from "../protocol/rules";
import { userHub } from "../sync/relay";

export const sync = createApi();
const tags = ["Sync"];

register(
  sync,
  route({
    pipelined: true,
    method: "get",
    path: "/changes",
    tags,
    operationId: "listChanges",
    description:
      "Changes after `since` in cursor order (no `since` = from the start). `ETag` is the cursor; " +
      "`If-None-Match` with the current cursor → 304. A page with `has_more` carries `walk`: send it back " +
      "with the next page's `since`, so a walk that began above the floor completes even if the floor rises.",
    request: { query: changesQuery, headers: z.object({ "if-none-match": z.string().optional() }) },
    responses: {
      200: jsonContent(changesResponseSchema, "A page of changes"),
      304: { description: "Nothing changed since the cursor in If-None-Match" },
    },
    errors: [400, 410],
  }),
  async (c) => {
    const { since, limit, walk } = c.req.valid("query");
    const from = since === undefined ? 0 : Number(since);
    // The feed read goes first: it travels with the session check (middleware/auth.ts),
    // which brings the user's cursor — one round trip for a 304 and for a page alike.
    const page = await changesSince(c.var.db, c.var.user.id, from, limit, {
      // A plain variable (the pipelined context types no bindings before the session is confirmed).
      retentionDays: Number((c.env as Env).CHANGE_LOG_RETENTION_DAYS),
    });
    const { changes, hasMore } = page;
    const { user } = (await confirmed(c)).var; // no round trip: the feed read carried the check
    const current = String(user.changeSeq);
    c.header("Cache-Control", "private, no-cache");
    if (c.req.header("if-none-match")?.replaceAll('"', "").replace(/^W\//, "") === current) {
      c.header("ETag", `"${current}"`);
      return c.body(null, 304);
    }
    if (from > user.changeSeq) throw new AppError(400, "invalid_cursor", "This cursor is ahead of the server.");
    // An empty page reads no clock from the database: the Worker's is close enough for the token's age.
    const token = ongoingWalk(walk, from, page.now ?? Date.now());
    if (!token && from > 0 && (from < user.changeFloor || page.pastRetention))
      throw new AppError(
        410,
        "cursor_expired",
        "This cursor is older than the change log's retention; reload everything.",
      );
    // When complete, report at least the cursor read with the session (the
    // newest entry may be a pruned tombstone); a commit racing this read may be newer.
    const last = Number(changes.at(-1)?.cursor ?? from);
    const cursor = String(hasMore ? last : Math.max(last, user.changeSeq));
    c.header("ETag", `"${cursor}"`);
    // A page with more carries the walk on: where and when it began (this page, unless it continues one).
    const next = hasMore && page.now !== null ? (token ?? `${page.now}.${from}`) : undefined;
    return c.json({ changes, cursor, has_more: hasMore, ...(next ? { walk: next } : {}) });
  },
);

/**
 * The walk token `walk` if it covers this page: the walk began at most
 * TOMBSTONE_GRACE_MS ago (database clock) and `since` is at or after where it
 * began. Such a walk began at a cursor the floor allowed (or at the start),
 * and no tombstone after that cursor can have been deleted since — deletion
 * waits TOMBSTONE_GRACE_MS past the retention (jobs/prune.ts) — so the walk
 * meets every delete it needs even if the floor rose meanwhile. A forged
 * token can only mislead its own user's device about its own records.
 */
function ongoingWalk(walk: string | undefined, from: number, now: number): string | null {
  if (!walk) return null;
  const [began, start] = walk.split(".").map(Number) as [number, number];
  return now - began < TOMBSTONE_GRACE_MS && began <= now && from >= start ? walk : null;
}

register(
  sync,
  route({
    pipelined: true,
    method: "get",
    path: "/snapshot",
    tags,
    operationId: "listSnapshot",
    description:
      "Every record of the user, read from the change log newest first (a new device's bootstrap, and the " +
      "recovery after a 410): keep the first entry per (entity, id), a tombstone included. Page with " +
      "`before=<next>` until `next` is null, then follow `/changes?since=<cursor of the first page>`. " +
      "Pages hold up to `limit` entries and about 4 MB of record data. With `split=<n>` the page also names " +
      "`ranges`: everything below `next` cut into disjoint ranges of about n entries (64 at most), each paged on its own " +
      "(`before=<range.before>&after=<range.after>`, then `before=<next>` with the same `after`) — concurrently, " +
      "since they are fixed below the first page's cursor; merged, the highest cursor per record wins.",
    request: { query: snapshotQuery },
    responses: { 200: jsonContent(snapshotResponseSchema, "A page of the snapshot, newest first") },
    errors: [400],
  }),
  async (c) => {
    const { before, after, limit, split } = c.req.valid("query");
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const page = await snapshotBefore(c.var.db, c.var.user.id, {
      before: num(before),
      after: num(after),
      limit,
      split,
    });
    await confirmed(c); // no round trip: the read carried the session check
    c.header("Cache-Control", "private, no-store");
    return c.json({
      changes: page.changes,
      cursor: String(page.head),
      floor: String(page.floor),
      next: page.next === null ? null : String(page.next),
      ...(page.ranges ? { ranges: page.ranges } : {}),
    });
  },
);

register(
  sync,
  route({
    method: "get",
    path: "/ws",
    tags,
    operationId: "openSyncSocket",
    description:
      'WebSocket upgrade served by the user\'s Durable Object. Server → client: `{type:"hello",cursor}` on connect, ' +
      '`{type:"changes",prev,cursor,changes}` after each commit; client → server `{type:"ping"}` → `{type:"pong"}`.',
    request: {
      headers: z.object({ upgrade: z.string().optional(), "x-client-id": z.string().optional() }),
      query: z.object({ client_id: z.string().optional() }),
    },
    responses: { 101: { description: "Switching protocols: the live socket" } },
    errors: [400, 403, 426, 429],
  }),
  async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new AppError(426, "upgrade_required", "This endpoint speaks WebSocket.", {
        headers: { Upgrade: "websocket" },
      });
    const headers = new Headers({
      Upgrade: "websocket",
      "x-session-id": c.var.sessionId,
      "x-session-expires": String(c.var.sessionExpiresAt.getTime()),
      "x-hello-cursor": String(c.var.user.changeSeq),
    });
    const clientId = c.req.header("x-client-id") ?? c.req.query("client_id");
    if (clientId) headers.set("x-client-id", clientId.slice(0, 100));
    return userHub(c.env, c.var.user.id).fetch(new Request(c.req.url, { headers }));
  },
);
