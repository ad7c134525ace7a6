/** SPEC §5 Focus sessions: at most one running per user; pause state shared by every device. */
import type { Context } from "hono";
import { z } from "zod";
import { endFocus, findRunning, history, pause, resume, startFocus } from "../data/focus";
import { AppError, notFound } from "../errors";
import { getRoute, listRoute } from "../http/crud";
import { createApi, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { expectedVersion, scopeOf } from "../http/record";
import { focusHistoryQuery, focusSessionSchema, focusSessionToWire, startFocusSchema } from "../protocol/focus";
import { assertId, versionConflict } from "../sync/write";
import { type RowOf } from "../protocol/registry";

/** Focus responses report remaining time as of now (the change feed's, as of `updated_at`). */
const respond = (c: Context, row: RowOf<"focus_session">, status: 200 | 201 = 200) => {
  c.header("ETag", `"${row.version}"`);
  return c.json(focusSessionToWire(row, new Date()), status);
};
const notRunning = (what: string) => new AppError(409, "focus_not_running", `There is no ${what} focus session.`);

export const focus = createApi();
const tags = ["Focus"];
const record = jsonContent(focusSessionSchema, "The focus session");

register(
  focus,
  route({
    pipelined: true,
    method: "post",
    path: "/sessions",
    tags,
    operationId: "startFocusSession",
    description:
      "Starts a session; 409 while another one is running (a session whose time ran out is completed first).",
    request: jsonRequest(startFocusSchema),
    responses: { 201: record, 200: jsonContent(focusSessionSchema, "The same start again: the existing session") },
    errors: [400, 413, 415],
  }),
  async (c) => {
    const { row, created } = await startFocus(scopeOf(c), c.req.valid("json"));
    return respond(c, row, created ? 201 : 200);
  },
);

register(
  focus,
  route({
    pipelined: true,
    method: "get",
    path: "/active",
    tags,
    operationId: "getActiveFocusSession",
    responses: {
      200: jsonContent(z.object({ session: z.union([focusSessionSchema, z.null()]) }), "The running session, if any"),
    },
  }),
  async (c) => {
    const row = await findRunning(c.var.db, c.var.user.id);
    return c.json({ session: row ? focusSessionToWire(row, new Date()) : null });
  },
);

for (const [action, change, state] of [
  ["pause", pause, "active"],
  ["resume", resume, "paused"],
] as const) {
  register(
    focus,
    route({
      pipelined: true,
      method: "post",
      path: `/${action}`,
      tags,
      operationId: `${action}FocusSession`,
      description: `${action === "pause" ? "Pauses the active" : "Resumes the paused"} session (the state every device shows).`,
      responses: { 200: record },
      errors: [400],
    }),
    async (c) => {
      const row = await change(scopeOf(c));
      if (!row) throw notRunning(state);
      return respond(c, row);
    },
  );
}

register(
  focus,
  route({
    pipelined: true,
    method: "post",
    path: "/sessions/{id}/{action}",
    tags,
    operationId: "endFocusSession",
    description:
      "`action` is `complete` or `abandon`; 409 `focus_session_ended` if it already ended. Completing credits 1 coin per focused minute (and any achievements) in the same transaction.",
    request: { params: z.object({ id: z.string(), action: z.enum(["complete", "abandon"]) }) },
    responses: { 200: record },
    errors: [400, 404],
  }),
  async (c) => {
    const { id, action } = c.req.valid("param");
    const status = action === "complete" ? "completed" : "abandoned";
    assertId("focus_session", id);
    const expected = expectedVersion(c);
    // Completing earns coins (and maybe achievements); abandoning earns nothing.
    const { session, current } = await endFocus(scopeOf(c), id, status, expected);
    if (session) return respond(c, session);
    if (!current) throw notFound("Focus session");
    if (expected !== undefined && current.version !== expected) throw versionConflict("focus_session", current);
    throw new AppError(409, "focus_session_ended", "This focus session has already ended.");
  },
);

listRoute(focus, {
  pipelined: true,
  path: "/sessions",
  tag: "Focus",
  operationId: "listFocusSessions",
  description: "History, newest first.",
  record: focusSessionSchema,
  query: focusHistoryQuery,
  list: history,
  toWire: (row: RowOf<"focus_session">) => focusSessionToWire(row, new Date()),
});

getRoute(focus, {
  pipelined: true,
  path: "/sessions/{id}",
  tag: "Focus",
  operationId: "getFocusSession",
  entity: "focus_session",
  record: focusSessionSchema,
  respond,
});
