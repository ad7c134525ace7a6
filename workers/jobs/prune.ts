/**
 * Scheduled maintenance (Cron Trigger). Compacts the change log — an entry
 * superseded by a later one for the same record is dropped, so a pull from
 * the start is always a full snapshot — and drops tombstones older than the
 * retention; a user's `change_floor` records the newest dropped tombstone, and
 * cursors below it get 410. Also removes expired sessions and old idempotency keys.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { IDEMPOTENCY_TTL_HOURS } from "../middleware/idempotency";

export async function pruneChangeLog(
  db: Db,
  retentionDays: number,
  opts: { now?: Date; userId?: string } = {},
): Promise<{ superseded: number; tombstones: number }> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - retentionDays * 86_400_000);
  // Tests and support tools can compact a single user.
  const scope = opts.userId ? sql`user_id = ${opts.userId}` : sql`true`;
  const scopeC = opts.userId ? sql`c.user_id = ${opts.userId}` : sql`true`;
  const superseded = await db.execute(sql`
    delete from change_log c
    where c.created_at < ${cutoff} and ${scopeC}
      and exists (select 1 from change_log n
                  where n.user_id = c.user_id and n.entity = c.entity
                    and n.record_id = c.record_id and n.seq > c.seq)`);
  const tombstones = await db.execute(sql`
    with dropped as (
      delete from change_log where op = 'delete' and created_at < ${cutoff} and ${scope}
      returning user_id, seq)
    update users u set change_floor = greatest(u.change_floor, d.max_seq)
    from (select user_id, max(seq) as max_seq from dropped group by user_id) d
    where u.id = d.user_id`);
  return { superseded: superseded.rowCount ?? 0, tombstones: tombstones.rowCount ?? 0 };
}

export async function pruneExpired(db: Db, now = new Date()): Promise<void> {
  await db.execute(sql`delete from sessions where expires_at < ${now}`);
  await db.execute(
    sql`delete from idempotency_keys where created_at < ${new Date(now.getTime() - IDEMPOTENCY_TTL_HOURS * 3_600_000)}`,
  );
}
