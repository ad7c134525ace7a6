/**
 * Scheduled maintenance (Cron Trigger). Compacts the change log — an entry
 * superseded by a later one for the same record is dropped, so a pull from
 * the start is always a full snapshot — and drops tombstones older than the
 * retention; a user's `change_floor` records the newest dropped tombstone, and
 * cursors below it get 410. Also removes expired sessions (closing their
 * sockets) and old idempotency keys.
 *
 * Every delete runs in batches of BATCH rows, each its own short statement,
 * so a large backlog never holds locks or a transaction for long; each
 * function reports how many rows it removed.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { IDEMPOTENCY_TTL_HOURS } from "../protocol/rules";

export const BATCH = 1000;

/** A job's rows of one user when its run is scoped to one (tests, support tools); every row otherwise. */
export const ofUser = (userId: string | undefined, column: SQL = sql`user_id`): SQL =>
  userId ? sql`${column} = ${userId}` : sql`true`;

/** Runs `statement` (which removes at most BATCH rows and selects their count as `n`) until a short batch. */
async function inBatches(db: Db, statement: () => SQL): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.execute(statement());
    const n = Number((result.rows[0] as { n?: unknown } | undefined)?.n ?? 0);
    total += n;
    if (n < BATCH) return total;
  }
}

export async function pruneChangeLog(
  db: Db,
  retentionDays: number,
  opts: { now?: Date; userId?: string } = {},
): Promise<{ superseded: number; tombstones: number }> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - retentionDays * 86_400_000);
  // Tests and support tools can compact a single user.
  const scope = ofUser(opts.userId);
  const scopeC = ofUser(opts.userId, sql`c.user_id`);
  const superseded = await inBatches(
    db,
    () => sql`
      with dropped as (
        delete from change_log where (user_id, seq) in (
          select c.user_id, c.seq from change_log c
          where c.created_at < ${cutoff} and ${scopeC}
            and exists (select 1 from change_log n
                        where n.user_id = c.user_id and n.entity = c.entity
                          and n.record_id = c.record_id and n.seq > c.seq)
          limit ${BATCH})
        returning 1)
      select count(*)::int as n from dropped`,
  );
  const tombstones = await inBatches(
    db,
    () => sql`
      with dropped as (
        delete from change_log where (user_id, seq) in (
          select user_id, seq from change_log
          where op = 'delete' and created_at < ${cutoff} and ${scope}
          limit ${BATCH})
        returning user_id, seq),
      floor as (
        update users u set change_floor = greatest(u.change_floor, d.max_seq)
        from (select user_id, max(seq) as max_seq from dropped group by user_id) d
        where u.id = d.user_id)
      select count(*)::int as n from dropped`,
  );
  return { superseded, tombstones };
}

/**
 * Deletes expired sessions and idempotency keys older than their TTL.
 * `onSessionsEnded` hears of every batch of expired sessions, per user, so
 * their sockets are closed (the hubs' alarms would close them too).
 */
export async function pruneExpired(
  db: Db,
  now = new Date(),
  onSessionsEnded: (userId: string, sessionIds: string[]) => Promise<unknown> = async () => {},
  /** `userId` scopes a run to one user (tests, support tools); the cron passes none. */
  opts: { userId?: string } = {},
): Promise<{ sessions: number; idempotencyKeys: number }> {
  const scope = ofUser(opts.userId);
  let sessions = 0;
  for (;;) {
    const result = await db.execute(sql`
      delete from sessions where id in (
        select id from sessions where expires_at < ${now} and ${scope} limit ${BATCH})
      returning id, user_id`);
    const rows = result.rows as { id: string; user_id: string }[];
    sessions += rows.length;
    const byUser = new Map<string, string[]>();
    for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.id]);
    await Promise.all([...byUser].map(([userId, ids]) => onSessionsEnded(userId, ids)));
    if (rows.length < BATCH) break;
  }
  const keysBefore = new Date(now.getTime() - IDEMPOTENCY_TTL_HOURS * 3_600_000);
  const idempotencyKeys = await inBatches(
    db,
    () => sql`
      with dropped as (
        delete from idempotency_keys where (user_id, key) in (
          select user_id, key from idempotency_keys
          where created_at < ${keysBefore} and ${scope} limit ${BATCH})
        returning 1)
      select count(*)::int as n from dropped`,
  );
  return { sessions, idempotencyKeys };
}
