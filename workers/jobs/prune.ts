/**
 * Scheduled maintenance (Cron Trigger). Compacts the change log — an entry
 * superseded by a later one for the same record is dropped, so a pull from
 * the start is always a full snapshot — and drops tombstones a grace period
 * (TOMBSTONE_GRACE_MS) after the retention; a user's `change_floor` records the
 * newest dropped tombstone. Cursors below it, or below a tombstone already past
 * the retention, get 410 (workers/routes/sync.ts). Also removes expired sessions (closing their
 * sockets) and old idempotency keys.
 *
 * Every delete runs in batches of BATCH rows, each its own short statement,
 * so a large backlog never holds locks or a transaction for long; each
 * function reports how many rows it removed.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { IDEMPOTENCY_TTL_HOURS, TOMBSTONE_GRACE_MS } from "../protocol/rules";

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

/**
 * How far back the hourly compaction looks (two runs' worth: one missed run
 * is caught up by the next). A longer gap leaves superseded entries behind —
 * harmless to clients (a pull from the start ends in the same state, it just
 * carries a few more changes) — until a full pass (no `windowMs`) clears them.
 */
export const COMPACTION_WINDOW_MS = 2 * 3_600_000;

/** The keyset position of a walk through change_log_created_idx (created_at, user_id, seq). */
type Key = { at: string; user: string; seq: string } | null;
const after = (k: Key): SQL =>
  k ? sql`(c.created_at, c.user_id, c.seq) > (${k.at}::timestamptz, ${k.user}::uuid, ${k.seq}::bigint)` : sql`true`;

/**
 * Walks the entries of `[from, to)` in change_log_created_idx order, BATCH at
 * a time (keyset: each statement reads only its own BATCH index entries), and
 * for each batch runs `drop` over them as `w`; returns the rows it removed.
 */
async function walkWindow(db: Db, from: Date, to: Date, scope: SQL, drop: (w: SQL) => SQL): Promise<number> {
  let key: Key = null;
  let total = 0;
  for (;;) {
    const result = await db.execute(sql`
      with w as materialized (
        select c.user_id, c.seq, c.entity, c.record_id, c.created_at from change_log c
        where c.created_at >= ${from} and c.created_at < ${to} and ${scope} and ${after(key)}
        order by c.created_at, c.user_id, c.seq limit ${BATCH}),
      dropped as (${drop(sql`w`)} returning 1),
      last as (select created_at, user_id, seq from w order by created_at desc, user_id desc, seq desc limit 1)
      select (select count(*) from dropped)::int as n, (select count(*) from w)::int as walked,
        (select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') from last) as at,
        (select user_id::text from last) as user, (select seq::text from last) as seq`);
    const r = result.rows[0] as { n: number; walked: number; at: string; user: string; seq: string };
    total += Number(r.n);
    if (Number(r.walked) < BATCH) return total;
    key = { at: r.at, user: r.user, seq: r.seq };
  }
}

/**
 * Compacts the change log: an entry older than the retention that a later
 * entry of the same record supersedes is dropped (so a pull from the start is
 * a snapshot), then tombstones TOMBSTONE_GRACE_MS past the retention, raising the user's
 * `change_floor`.
 *
 * With `windowMs` (the Cron Trigger), the superseded entries are found from
 * the last window's changes only, each half an index range of
 * change_log_created_idx: (a) entries that crossed the cutoff within the
 * window and have a later entry, (b) entries older than the cutoff that an
 * entry written within the window superseded (found by
 * change_log_record_idx). Every older superseded entry was dropped by an
 * earlier run, so the cost is the window's changes, not the whole log.
 * Without it, a full pass (tests, support tools, a catch-up after the cron
 * was down longer than the window): every entry older than the cutoff is
 * checked — O(the whole log), or of one user's log with `userId`.
 */
export async function pruneChangeLog(
  db: Db,
  retentionDays: number,
  opts: { now?: Date; userId?: string; windowMs?: number } = {},
): Promise<{ superseded: number; tombstones: number }> {
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  // Tests and support tools can compact a single user.
  const scope = ofUser(opts.userId);
  const scopeC = ofUser(opts.userId, sql`c.user_id`);
  let superseded: number;
  if (opts.windowMs !== undefined) {
    const w = opts.windowMs;
    // (a) crossed the cutoff within the window, and a later entry of the same record exists.
    superseded = await walkWindow(
      db,
      new Date(cutoff.getTime() - w),
      cutoff,
      scopeC,
      // …and anything older of the same record (left by an outage longer than the window):
      // a record's older entries go before its newest crosses the cutoff, tombstones included.
      (win) => sql`
        delete from change_log d using ${win}
        where d.user_id = w.user_id and d.entity = w.entity and d.record_id = w.record_id
          and (d.seq < w.seq
               or (d.seq = w.seq and exists (select 1 from change_log n
                      where n.user_id = w.user_id and n.entity = w.entity
                        and n.record_id = w.record_id and n.seq > w.seq)))`,
    );
    // (b) older than the cutoff, superseded by an entry written within the window.
    superseded += await walkWindow(
      db,
      new Date(now.getTime() - w),
      new Date(now.getTime() + 86_400_000),
      scopeC,
      (win) => sql`
        delete from change_log d using ${win}
        where d.user_id = w.user_id and d.entity = w.entity and d.record_id = w.record_id
          and d.seq < w.seq and d.created_at < ${cutoff}`,
    );
  } else {
    superseded = await inBatches(
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
  }
  // Tombstones past the retention and its grace, through their own partial index
  // (change_log_tombstone_idx): each one read is removed, with any older entry of its record
  // left behind (so no pull from the start ever meets the record without its delete).
  // The floor already counted them at the retention (the 410 rule in workers/routes/sync.ts);
  // the grace keeps them for walks of the feed that began before (TOMBSTONE_GRACE_MS).
  const deleteBefore = new Date(cutoff.getTime() - TOMBSTONE_GRACE_MS);
  const tombstones = await inBatches(
    db,
    () => sql`
      with due as (
        select user_id, seq, entity, record_id from change_log
        where op = 'delete' and created_at < ${deleteBefore} and ${scope}
        order by created_at
        limit ${BATCH}),
      dropped as (
        delete from change_log d using due
        where d.user_id = due.user_id and d.entity = due.entity and d.record_id = due.record_id
          and d.seq <= due.seq
        returning d.user_id, d.seq, d.op),
      floor as (
        update users u set change_floor = greatest(u.change_floor, d.max_seq)
        from (select user_id, max(seq) as max_seq from dropped where op = 'delete' group by user_id) d
        where u.id = d.user_id)
      select (select count(*) from due)::int as n`,
  );
  return { superseded, tombstones };
}

/**
 * Deletes expired sessions, idempotency keys older than their TTL and the
 * studio's rate windows of past minutes (a fresh row starts at the next hit).
 * `onSessionsEnded` hears of every batch of expired sessions, per user, so
 * their sockets are closed (the hubs' alarms would close them too).
 */
export async function pruneExpired(
  db: Db,
  now = new Date(),
  onSessionsEnded: (userId: string, sessionIds: string[]) => Promise<unknown> = async () => {},
  /** `userId` scopes a run to one user (tests, support tools); the cron passes none. */
  opts: { userId?: string } = {},
): Promise<{
  sessions: number;
  idempotencyKeys: number;
  keyPartitionsDropped: number;
  keyPartitionRows: number;
  rateWindows: number;
}> {
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
  // The cron drops whole days (dropKeyPartitions); a run scoped to one user (tests, support tools)
  // must not touch other users' keys, so it deletes that user's rows one by one, as does the
  // fallback for the default partition (a day whose partition was not made in time).
  const keys = opts.userId ? { partitions: 0, partitionRows: 0 } : await dropKeyPartitions(db, now);
  const keyRows = opts.userId ? sql`idempotency_keys` : sql`idempotency_keys_default`;
  const idempotencyKeys = await inBatches(
    db,
    () => sql`
      with dropped as (
        delete from ${keyRows} where (user_id, key) in (
          select user_id, key from ${keyRows}
          where created_at < ${keysBefore} and ${scope} limit ${BATCH})
        returning 1)
      select count(*)::int as n from dropped`,
  );
  const rateWindows = await inBatches(
    db,
    () => sql`
      with dropped as (
        delete from rate_windows where (user_id, bucket) in (
          select user_id, bucket from rate_windows
          where window_start < ${new Date(now.getTime() - 60_000)} and ${scope} limit ${BATCH})
        returning 1)
      select count(*)::int as n from dropped`,
  );
  return {
    sessions,
    idempotencyKeys,
    keyPartitionsDropped: keys.partitions,
    keyPartitionRows: keys.partitionRows,
    rateWindows,
  };
}

const DAY_MS = 86_400_000;
/** How many days ahead the hourly run keeps idempotency-key partitions ready. */
const KEY_DAYS_AHEAD = 3;

/**
 * Makes the idempotency keys' daily partitions of the coming days and drops
 * every day that ended IDEMPOTENCY_TTL_HOURS ago or more (db/migrations/0046):
 * old keys leave without a row of WAL or vacuum each. Returns the partitions
 * dropped and their rows as the planner's statistics estimate them (counting
 * would read them). A drop that waits more than 2 s for running claims is
 * skipped; the next run drops it.
 */
export async function dropKeyPartitions(
  db: Db,
  now = new Date(),
): Promise<{ partitions: number; partitionRows: number }> {
  const today = now.toISOString().slice(0, 10);
  await db.execute(sql`select continuum_key_partitions(${today}::date, ${KEY_DAYS_AHEAD + 1})`);
  const parts = await db.execute(sql`
    select c.relname as name, greatest(c.reltuples, 0)::float8 as rows from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'idempotency_keys'::regclass`);
  let partitions = 0;
  let partitionRows = 0;
  for (const { name, rows } of parts.rows as { name: string; rows: number }[]) {
    const m = /^idempotency_keys_p(\d{4})(\d{2})(\d{2})$/.exec(name);
    if (!m) continue;
    const dayEnd = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + DAY_MS;
    if (dayEnd + IDEMPOTENCY_TTL_HOURS * 3_600_000 > now.getTime()) continue;
    const r = await db.execute(sql`select continuum_key_partition_drop(${name}) as ok`);
    if ((r.rows[0] as { ok: boolean }).ok !== true) continue;
    partitions++;
    partitionRows += Number(rows);
  }
  return { partitions, partitionRows };
}
