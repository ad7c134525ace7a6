/**
 * Focus-session state changes as single SQL updates on stored timestamps;
 * `now()` is the database clock, so every device derives the same remaining time.
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { focusSessions } from "../../db/schema";

const running = (userId: string) => and(eq(focusSessions.userId, userId), inArray(focusSessions.status, ["active", "paused"]));
const bump = { version: sql`${focusSessions.version} + 1`, updatedAt: sql`now()` };
/** Seconds of the current pause, folded into paused_total_s when it ends. */
const openPause = sql`coalesce(extract(epoch from (now() - ${focusSessions.pausedAt})), 0)`;

export async function findRunning(db: Db | Tx, userId: string) {
  const [row] = await db.select().from(focusSessions).where(running(userId)).limit(1);
  return row;
}

export async function pause(tx: Tx, userId: string) {
  const [row] = await tx
    .update(focusSessions)
    .set({ status: "paused", pausedAt: sql`now()`, ...bump })
    .where(and(eq(focusSessions.userId, userId), eq(focusSessions.status, "active")))
    .returning();
  return row;
}

export async function resume(tx: Tx, userId: string) {
  const [row] = await tx
    .update(focusSessions)
    .set({ status: "active", pausedTotalS: sql`${focusSessions.pausedTotalS} + ${openPause}`, pausedAt: null, ...bump })
    .where(and(eq(focusSessions.userId, userId), eq(focusSessions.status, "paused")))
    .returning();
  return row;
}

/** Ends a running session (completed or abandoned); `expected` is the optional version precondition. */
export async function finish(tx: Tx, userId: string, id: string, status: "completed" | "abandoned", expected?: number) {
  const [row] = await tx
    .update(focusSessions)
    .set({
      status,
      endedAt: sql`now()`,
      pausedTotalS: sql`${focusSessions.pausedTotalS} + ${openPause}`,
      pausedAt: null,
      ...bump,
    })
    .where(and(eq(focusSessions.id, id), running(userId), expected === undefined ? undefined : eq(focusSessions.version, expected)))
    .returning();
  return row;
}

export async function history(db: Db, userId: string, page: number, pageSize: number) {
  const rows = await db
    .select({ s: focusSessions, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(focusSessions)
    .where(eq(focusSessions.userId, userId))
    .orderBy(desc(focusSessions.startedAt), desc(focusSessions.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  return { items: rows.map((r) => r.s), total: rows[0]?.total ?? (page > 1 ? await db.$count(focusSessions, eq(focusSessions.userId, userId)) : 0) };
}
