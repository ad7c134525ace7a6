/** SPEC §5 Studio (mounted at /api/studio): loops, likes, remixes, plays, the public feed and songs. */
import { z } from "zod";
import {
  createLoop,
  feed,
  lineage,
  listOwnLoops,
  listOwnSongs,
  readableLoop,
  remix,
  removeLoop,
  setLike,
  chargePlay,
  unknownLoops,
  updateLoop,
} from "../data/studio";
import type { PlayMessage } from "../jobs/studio-counters";
import { crudRoutes, declaredCrud, listRoute } from "../http/crud";
import { confirmed, createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import {
  feedQuery,
  feedResponseSchema,
  likeResponseSchema,
  lineageResponseSchema,
  listStudioQuery,
  loopRecord,
  loopSchema,
  loopToWire,
  remixLoopSchema,
  songRecord,
} from "../protocol/studio";
import { expectedVersion, scopeOf, sendRecord } from "../http/record";

export const studio = createApi();
const tags = ["Studio"];
const loop = jsonContent(loopSchema, "The loop");
const byId = { params: idParam("id") };

listRoute(studio, {
  pipelined: true,
  path: "/loops",
  tag: "Studio",
  operationId: "listLoops",
  description: "The caller's own loops, newest first.",
  record: loopSchema,
  query: listStudioQuery,
  list: listOwnLoops,
  toWire: loopToWire,
});

register(
  studio,
  route({
    method: "post",
    path: "/loops",
    pipelined: true,
    tags,
    operationId: "createLoop",
    request: jsonRequest(loopRecord.create),
    responses: { 201: loop, 200: jsonContent(loopSchema, "The same create again: the existing loop") },
    errors: [400, 413, 415],
  }),
  async (c) => {
    const { row, created } = await createLoop(scopeOf(c), c.req.valid("json"));
    return sendRecord(c, "loop", row, created ? 201 : 200);
  },
);

register(
  studio,
  route({
    method: "get",
    path: "/loops/{id}",
    pipelined: true,
    tags,
    operationId: "getLoop",
    description: "An own loop, or any user's public loop.",
    request: byId,
    responses: { 200: loop },
    errors: [404],
  }),
  async (c) => sendRecord(c, "loop", await readableLoop(c.var.db, c.var.user.id, c.req.valid("param").id)),
);

register(
  studio,
  route({
    method: "put",
    path: "/loops/{id}",
    pipelined: true,
    tags,
    operationId: "updateLoop",
    description: "Owner only: another user's public loop is 403. Counters are not part of `version`.",
    request: { ...byId, ...jsonRequest(loopRecord.update) },
    responses: { 200: loop },
    errors: [400, 403, 404, 413, 415],
  }),
  async (c) => {
    const { version, ...patch } = c.req.valid("json");
    const row = await updateLoop(scopeOf(c), c.req.valid("param").id, expectedVersion(c, version), patch);
    return sendRecord(c, "loop", row);
  },
);

register(
  studio,
  route({
    method: "delete",
    path: "/loops/{id}",
    pipelined: true,
    tags,
    operationId: "deleteLoop",
    description: "Owner only. 409 `loop_in_use` while an own song uses it; remixes stay, with `parent_loop_id` null.",
    request: byId,
    responses: { 204: { description: "Deleted" } },
    errors: [400, 403, 404],
  }),
  async (c) => {
    await removeLoop(scopeOf(c), c.req.valid("param").id, expectedVersion(c));
    return c.body(null, 204);
  },
);

register(
  studio,
  route({
    method: "post",
    path: "/loops/{id}/remix",
    pipelined: true,
    tags,
    operationId: "remixLoop",
    description:
      "A new private loop of the caller copying the parent (own, or public and remixable; else 404). A client `id` makes a retry safe.",
    request: { ...byId, ...jsonRequest(remixLoopSchema) },
    responses: { 201: loop, 200: jsonContent(loopSchema, "The same remix again: the existing loop") },
    errors: [400, 404, 413, 415, 429],
  }),
  async (c) => {
    // Another user's parent: the call charges the social limits itself (the session check leads it).
    const { row, created } = await remix(scopeOf(c), c.req.valid("param").id, c.req.valid("json"));
    return sendRecord(c, "loop", row, created ? 201 : 200);
  },
);

register(
  studio,
  route({
    method: "get",
    path: "/loops/{id}/lineage",
    pipelined: true,
    tags,
    operationId: "getLoopLineage",
    description: "The loop's ancestors (without the loop), oldest first; ones the caller may not read are left out.",
    request: byId,
    responses: { 200: jsonContent(lineageResponseSchema, "Ancestors, oldest first") },
    errors: [404],
  }),
  async (c) => {
    const items = await lineage(c.var.db, c.var.user.id, c.req.valid("param").id);
    return c.json({ items: items.map(loopToWire) });
  },
);

for (const method of ["put", "delete"] as const)
  register(
    studio,
    route({
      method,
      path: "/loops/{id}/like",
      pipelined: true,
      tags,
      operationId: method === "put" ? "likeLoop" : "unlikeLoop",
      description: "Idempotent: a user likes a loop at most once. The owner's devices see the new count live.",
      request: byId,
      responses: { 200: jsonContent(likeResponseSchema, "The caller's like state and the loop's count") },
      errors: [400, 404, 429],
    }),
    // One call: another owner's loop charges the social limits in it, and the session check leads it,
    // so only a confirmed user is counted (a refused check rolls the charge back with the like).
    async (c) => c.json(await setLike(scopeOf(c), c.req.valid("param").id, method === "put")),
  );

register(
  studio,
  route({
    method: "post",
    path: "/loops/{id}/plays",
    pipelined: true,
    tags,
    operationId: "countLoopPlay",
    description:
      "Counts one play, asynchronously (a Cloudflare Queue; the consumer batches the increments). At most 10 a minute per user and loop (429).",
    request: byId,
    responses: {
      202: jsonContent(z.object({ queued: z.literal(true), play_id: z.uuid() }), "Queued"),
    },
    errors: [400, 404, 429],
  }),
  async (p) => {
    // The play and social limits are charged in the statement the session check leads.
    const { loopId } = await chargePlay(p.var.db, p.var.user.id, p.req.valid("param").id);
    const c = await confirmed(p); // no round trip: the charge carried the session check
    const play: PlayMessage = { play_id: crypto.randomUUID(), loop_id: loopId, user_id: c.var.user.id };
    await c.env.STUDIO_PLAYS.send(play);
    return c.json({ queued: true as const, play_id: play.play_id }, 202);
  },
);

register(
  studio,
  route({
    method: "get",
    path: "/feed",
    pipelined: true,
    tags,
    operationId: "getStudioFeed",
    description:
      "Public loops of all users. `new`: newest first; `top`: ln(1 + likes) + age in 12.5 h units (a time decay). Keyset pages: pass `next_cursor` back as `cursor`.",
    request: { query: feedQuery },
    responses: { 200: jsonContent(feedResponseSchema, "A page of the feed") },
    errors: [400],
  }),
  async (c) => c.json(await feed(c.var.db, c.var.user.id, c.req.valid("query"))),
);

/** Songs are the plain CRUD shape (mounted at /api/studio/songs) plus the own-loops check. */
export const studioSongs = createApi();

crudRoutes(studioSongs, {
  ...declaredCrud(songRecord, listStudioQuery),
  pipelined: true,
  list: listOwnSongs,
  // A timeline may use own loops only: checked by the database in the write's statement (a trigger).
  refusal: (err, b) => unknownLoops(err, b.timeline),
});
