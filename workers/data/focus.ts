/**
 * Focus-session state changes as single SQL updates on stored timestamps;
 * `now()` is the database clock, so every device derives the same remaining time.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { CONSTRAINT, focusSessions } from "../../db/schema";
import { AppError, uniqueViolation } from "../errors";
import type { Scope } from "../sync/scope";
import { remainingSeconds, type StartFocus } from "../protocol/focus";
import { rowFromRaw, type RowOf } from "../protocol/registry";
import type { Writer } from "../sync/write";
import { grantDueAchievements } from "./market";
import type { RawStats } from "./market-insights";
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

/** Pauses the active session (every device shows it paused); undefined when none is active. */
export const pause = (scope: Scope) =>
  scope.write(async (w) => {
    const [row] = await w.updateWhere("focus_session", eq(focusSessions.status, "active"), {
      status: "paused",
      pausedAt: sql`now()`,
    });
    return row;
  });

/** Resumes the paused session; undefined when none is paused. */
export const resume = (scope: Scope) =>
  scope.write(async (w) => {
    const [row] = await w.updateWhere("focus_session", eq(focusSessions.status, "paused"), {
      status: "active",
      pausedTotalS: sql`${focusSessions.pausedTotalS} + ${openPause}`,
      pausedAt: null,
    });
    return row;
  });

export const history = (db: Db, userId: string, q: PageQuery) =>
  paginateOwnNewest(db, focusSessions, focusSessions.startedAt, userId, q);

const running409 = () =>
  new AppError(409, "focus_session_running", "A focus session is already running. Complete or abandon it first.");

type Raw = Record<string, unknown>;
type Ended = { session: Raw | null; current?: Raw | null; stats?: RawStats };

/**
 * Completes or abandons a running session in ONE call (continuum_end_focus(),
 * db/migrations/0012_one_call_focus.sql): the update, the coins a completion
 * earns, and the stats after it; the achievements they show due are granted
 * by a second call, only when there are any (data/market.ts). Every path that
 * ends a session — the route, the expiry on start, the assistant — goes
 * through here, so a completion always earns the same way.
 */
async function end(w: Writer, userId: string, id: string, status: "completed" | "abandoned", expected?: number) {
  const r = await w.call<Ended>(
    sql`select continuum_end_focus(${userId}, ${id}, ${status}, ${expected ?? null}::integer, ${w.idempotencyKey}) as r`,
  );
  if (r.stats) await grantDueAchievements(w, userId, r.stats);
  return r;
}

/**
 * Starts a session (POST /api/focus/sessions and the assistant's start_focus).
 * The insert goes first — one round trip when nothing runs; "one at a time" is
 * the partial unique index. Only when it refuses is the running session read:
 * one whose time ran out is completed first (rare: a transaction then),
 * otherwise 409. Inside an open transaction (an assistant tool) the read goes
 * first: a refused insert would abort that transaction.
 */
export async function startFocus(scope: Scope, body: StartFocus) {
  const values = { ...(body.id ? { id: body.id } : {}), durationS: body.duration_s, label: body.label ?? null };
  const insert = (w: Writer) => w.insert("focus_session", values);
  if (!scope.inTransaction)
    try {
      return await scope.write(insert);
    } catch (err) {
      if (uniqueViolation(err) !== CONSTRAINT.focusOneRunning) throw err;
    }
  const current = await findRunning(scope.db, scope.userId);
  const expired = current?.status === "active" && remainingSeconds(current, new Date()) <= 0;
  if (current && !expired) throw running409();
  try {
    return await scope.write(
      async (w) => {
        // Completed on the user's behalf: it earns like any completion, in this transaction.
        if (current) await end(w, scope.userId, current.id, "completed");
        return insert(w);
      },
      { transaction: current !== undefined },
    );
  } catch (err) {
    if (uniqueViolation(err) === CONSTRAINT.focusOneRunning) throw running409();
    throw err;
  }
}

/**
 * Ends a running session (POST /api/focus/sessions/{id}/{action}); `expected`
 * is the optional version precondition. `session` is null when nothing changed
 * (`current`: the session as it is, if the user has it). The completion's
 * changes and its achievements' go out as one live message (one "+N coins").
 */
export async function endFocus(
  scope: Scope,
  id: string,
  status: "completed" | "abandoned",
  expected: number | undefined,
): Promise<{ session: RowOf<"focus_session"> | null; current: RowOf<"focus_session"> | null }> {
  const r = await scope.write((w) => end(w, scope.userId, id, status, expected));
  const row = (raw: Raw | null | undefined) => (raw ? rowFromRaw("focus_session", raw) : null);
  return { session: row(r.session), current: row(r.current) };
}
