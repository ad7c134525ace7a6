/**
 * Keeps record history (db/migrations/0017_record_history.sql) to its
 * retention by dropping whole daily partitions — never row by row — and makes
 * the partitions of the coming days ahead of the writes that need them. Rows
 * that landed in the default partition (the cron had not run) are the one
 * row-by-row fallback, normally empty.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { ofUser } from "./prune";

const DAY = 86_400_000;
/** How many days ahead the hourly run keeps partitions ready. */
const AHEAD_DAYS = 3;

const dayName = (name: string) => /^record_history_p(\d{4})(\d{2})(\d{2})$/.exec(name);

export async function pruneHistory(
  db: Db,
  retentionDays: number,
  opts: { now?: Date; userId?: string } = {},
): Promise<{ partitions_made: number; partitions_dropped: number; default_rows: number }> {
  if (!Number.isFinite(retentionDays) || retentionDays < 1) throw new Error("HISTORY_RETENTION_DAYS must be ≥ 1");
  const now = opts.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const made = await db.execute(sql`select continuum_history_partitions(${today}::date, ${AHEAD_DAYS}) as n`);
  // A partition holds one UTC day; it goes once all of that day is older than the cutoff.
  const cutoff = new Date(now.getTime() - retentionDays * DAY);
  const parts = await db.execute(sql`
    select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'record_history'::regclass`);
  let dropped = 0;
  for (const { name } of parts.rows as { name: string }[]) {
    const m = dayName(name);
    if (!m) continue;
    const dayEnd = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + DAY;
    if (dayEnd > cutoff.getTime()) continue;
    // Only the owner may drop a table: a narrow function does (the jobs run as continuum_jobs, 0018).
    await db.execute(sql`select continuum_history_drop(${name})`);
    dropped++;
  }
  const fallback = await db.execute(sql`
    with gone as (delete from record_history_default where created_at < ${cutoff} and ${ofUser(opts.userId)} returning 1)
    select count(*)::int as n from gone`);
  return {
    partitions_made: Number((made.rows[0] as { n: unknown }).n),
    partitions_dropped: dropped,
    default_rows: Number((fallback.rows[0] as { n: unknown }).n),
  };
}
