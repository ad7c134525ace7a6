/**
 * Focus-session state changes as single SQL updates on stored timestamps;
 * `now()` is the database clock, so every device derives the same remaining time.
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { focusSessions } from "../../db/schema";
import type { Writer } from "../sync/write";
import { paginate, type PageQuery } from "./paginate";

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
  paginate(
    db,
    focusSessions,
    { where: eq(focusSessions.userId, userId), orderBy: [desc(focusSessions.startedAt), desc(focusSessions.id)] },
    q,
  );
