/**
 * Focus-session state changes as single SQL updates on stored timestamps;
 * `now()` is the database clock, so every device derives the same remaining time.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { focusSessions } from "../../db/schema";
import { AppError, uniqueViolation } from "../errors";
import type { Scope } from "../lib/scope";
import { remainingSeconds, type StartFocus } from "../protocol/focus";
import type { Writer } from "../sync/write";
import { earnForSession } from "./market-insights";
import { paginateOwnNewest, type PageQuery } from "./paginate";

const isRunning = inArray(focusSessions.status, ["active", "paused"]);
/** Seconds of the current pause, folded into paused_total_s when it ends. */
const openPause = sql`coalesce(extract(epoch from (now() - ${focusSessions.pausedAt})), 0)`;

export async function findRunning(db: Db | Tx, userId: string) {
  const [row] = await db
    .select()
    .from(focusSessions)
    .where(and(eq(focusSessions.userId, userId), isRunning))
    .limit(1);
  return row;
}

export async function pause(w: Writer) {
  const [row] = await w.updateWhere("focus_session", eq(focusSessions.status, "active"), {
    status: "paused",
    pausedAt: sql`now()`,
  });
  return row;
}

export async function resume(w: Writer) {
  const [row] = await w.updateWhere("focus_session", eq(focusSessions.status, "paused"), {
    status: "active",
    pausedTotalS: sql`${focusSessions.pausedTotalS} + ${openPause}`,
    pausedAt: null,
  });
  return row;
}

/** Ends a running session (completed or abandoned); `expected` is the optional version precondition. */
export async function finish(w: Writer, id: string, status: "completed" | "abandoned", expected?: number) {
  const [row] = await w.updateWhere(
    "focus_session",
    and(eq(focusSessions.id, id), isRunning, expected === undefined ? undefined : eq(focusSessions.version, expected)),
    { status, endedAt: sql`now()`, pausedTotalS: sql`${focusSessions.pausedTotalS} + ${openPause}`, pausedAt: null },
  );
  return row;
}

export const history = (db: Db, userId: string, q: PageQuery) =>
  paginateOwnNewest(db, focusSessions, focusSessions.startedAt, userId, q);

/**
 * Starts a session (POST /api/focus/sessions and the assistant's start_focus).
 * A session whose time ran out is completed first (rare: a transaction then);
 * "one at a time" is the partial unique index, reported as 409.
 */
export async function startFocus(scope: Scope, body: StartFocus) {
  try {
    const current = await findRunning(scope.db, scope.userId);
    const expired = current?.status === "active" && remainingSeconds(current, new Date()) <= 0;
    const values = { ...(body.id ? { id: body.id } : {}), durationS: body.duration_s, label: body.label ?? null };
    return await scope.write(
      async (w) => {
        if (expired) {
          // Completed on the user's behalf: it earns like any completion, in this transaction.
          const done = await finish(w, current.id, "completed");
          if (done) await earnForSession(w, scope.userId, done);
        }
        return w.insert("focus_session", values);
      },
      { transaction: expired },
    );
  } catch (err) {
    if (uniqueViolation(err) === "focus_sessions_one_running")
      throw new AppError(
        409,
        "focus_session_running",
        "A focus session is already running. Complete or abandon it first.",
      );
    throw err;
  }
}
