/** SPEC §5 Focus sessions: at most one running per user; pause state shared by every device. */
import type { Context } from "hono";
import type { focusSessions } from "../../db/schema";
import { findRunning, finish, history, pause, resume } from "../data/focus";
import type { AppEnv } from "../env";
import { AppError, uniqueViolation } from "../errors";
import { userApp } from "../lib/user-app";
import { jsonBody, queryParams } from "../lib/validate";
import { focusHistoryQuery, focusSessionToWire, remainingSeconds, startFocusSchema } from "../protocol/focus";
import { assertId, expectedVersion, findOwned, write } from "../sync/write";

type Row = typeof focusSessions.$inferSelect;
const respond = (c: Context<AppEnv>, row: Row, status: 200 | 201 = 200) => {
  c.header("ETag", `"${row.version}"`);
  return c.json(focusSessionToWire(row, new Date()), status);
};
const notRunning = (what: string) => new AppError(409, "focus_not_running", `There is no ${what} focus session.`);

export const focus = userApp()
  .post("/sessions", jsonBody(startFocusSchema), async (c) => {
    const body = c.req.valid("json");
    const userId = c.var.user.id;
    try {
      // A session whose time ran out is completed before a new one starts (rare: a transaction then).
      const current = await findRunning(c.var.db, userId);
      const expired = current?.status === "active" && remainingSeconds(current, new Date()) <= 0;
      const values = { ...(body.id ? { id: body.id } : {}), durationS: body.duration_s, label: body.label ?? null };
      const { row, created } = await write(
        c,
        async (w) => {
          if (expired) await finish(w, current.id, "completed");
          return w.insert("focus_session", values);
        },
        { transaction: expired },
      );
      return respond(c, row, created ? 201 : 200);
    } catch (err) {
      if (uniqueViolation(err) === "focus_sessions_one_running")
        throw new AppError(
          409,
          "focus_session_running",
          "A focus session is already running. Complete or abandon it first.",
        );
      throw err;
    }
  })
  .get("/active", async (c) => {
    const row = await findRunning(c.var.db, c.var.user.id);
    return c.json({ session: row ? focusSessionToWire(row, new Date()) : null });
  })
  .post("/pause", async (c) => {
    const row = await write(c, pause);
    if (!row) throw notRunning("active");
    return respond(c, row);
  })
  .post("/resume", async (c) => {
    const row = await write(c, resume);
    if (!row) throw notRunning("paused");
    return respond(c, row);
  })
  .post("/sessions/:id/:action{complete|abandon}", async (c) => {
    const id = c.req.param("id");
    const status = c.req.param("action") === "complete" ? "completed" : "abandoned";
    assertId("focus_session", id);
    const expected = expectedVersion(c);
    const ended = await write(c, (w) => finish(w, id, status, expected));
    if (ended) return respond(c, ended);
    const current = await findOwned(c.var.db, "focus_session", c.var.user.id, id); // 404 if not yours
    if (expected !== undefined && current.version !== expected)
      throw new AppError(409, "version_conflict", "This session was changed elsewhere.", {
        details: { current: focusSessionToWire(current, new Date()) },
      });
    throw new AppError(409, "focus_session_ended", "This focus session has already ended.");
  })
  .get("/sessions", queryParams(focusHistoryQuery), async (c) => {
    const q = c.req.valid("query");
    const { items, total } = await history(c.var.db, c.var.user.id, q);
    const now = new Date();
    return c.json({ items: items.map((r) => focusSessionToWire(r, now)), page: q.page, page_size: q.page_size, total });
  })
  .get("/sessions/:id", async (c) =>
    respond(c, await findOwned(c.var.db, "focus_session", c.var.user.id, c.req.param("id"))),
  );
