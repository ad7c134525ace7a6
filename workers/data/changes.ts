import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import type { Change, SnapshotRange } from "../protocol/sync";
import { isEntity, rowFromRaw, toWire } from "../protocol/registry";

/**
 * A page of the change feed holds at most this many bytes of record data (and
 * at least one entry, however large): a page by bytes as well as by rows, so
 * a feed of big records (a reference can hold 100 000 characters) never
 * answers megabytes at once. `has_more` stays truthful.
 */
export const FEED_PAGE_BYTES = 1_000_000;

/** A change-log row as the feed and snapshot queries return it, with the running byte count. */
type LogRow = {
  seq: string | number | null;
  entity: string;
  record_id: string;
  op: "upsert" | "delete";
  version: number;
  data: Record<string, unknown> | null;
  up_to: string | number;
};

/** A page's rows within its byte budget (the first always, however large) and its row limit. */
const fitPage = <R extends LogRow>(rows: R[], limit: number, maxBytes: number): R[] =>
  rows.filter((r, i) => i === 0 || Number(r.up_to) <= maxBytes).slice(0, limit);

/** A change-log row as the feed and the snapshot send it: the stored row as its wire record. */
const toChange = (r: LogRow): Change => ({
  cursor: String(r.seq),
  entity: r.entity,
  id: r.record_id,
  op: r.op,
  version: Number(r.version),
  data: r.data && isEntity(r.entity) ? toWire(r.entity, rowFromRaw(r.entity, r.data)) : r.data,
});

/**
 * Changes after `since`, in cursor order (primary-key range scan). The log holds raw rows; they leave as wire records.
 *
 * Read with the page, in the same statement: the database's clock (`now`, a
 * walk's start) and whether a tombstone after `since` is older than
 * `retentionDays` (`pastRetention`: such a tombstone may be deleted any time
 * after its grace, so a cursor below it is stale — SPEC §4's 410 — unless it
 * belongs to a walk that began before; workers/routes/sync.ts). An empty page
 * has no tombstone after `since` at all, so losing both with the rows is fine.
 */
export async function changesSince(
  db: Db,
  userId: string,
  since: number,
  limit: number,
  opts: { maxBytes?: number; retentionDays?: number } = {},
): Promise<{ changes: Change[]; hasMore: boolean; now: number | null; pastRetention: boolean }> {
  const maxBytes = opts.maxBytes ?? FEED_PAGE_BYTES;
  // From the start nothing can be stale: skip the tombstone probe (change_log_user_tombstone_idx).
  const pastRetention =
    since > 0 && opts.retentionDays !== undefined
      ? sql<boolean>`exists (select 1 from change_log t
          where t.user_id = ${userId} and t.op = 'delete' and t.seq > ${since}
            and t.created_at < now() - interval '1 day' * ${opts.retentionDays}::float8)`
      : sql<boolean>`false`;
  // continuum_changes_after (db/migrations/0047): the page in primary-key order under RLS, never the
  // user's whole log read and sorted (the policies' quals made the planner expect one row).
  const result = await db.execute(sql`
    select c.seq, c.entity, c.record_id, c.op, c.version, c.data,
      sum(coalesce(octet_length(c.data::text), 0)) over (order by c.seq
        rows between unbounded preceding and current row) as up_to,
      (extract(epoch from now()) * 1000)::bigint::text as now, ${pastRetention} as past_retention
    from continuum_changes_after(${userId}::uuid, ${since}::bigint, ${limit + 1}::int) c
    order by c.seq`);
  type Row = LogRow & { seq: string | number; now: string; past_retention: boolean };
  const rows = result.rows as Row[];
  const fit = fitPage(rows, limit, maxBytes);
  const hasMore = rows.length > fit.length;
  return {
    hasMore,
    now: rows[0] ? Number(rows[0].now) : null,
    pastRetention: rows[0]?.past_retention === true,
    changes: fit.map(toChange),
  };
}

/** A snapshot's `split` names at most this many ranges (longer ones when the log is long). */
export const SNAPSHOT_MAX_RANGES = 64;

/** A snapshot page holds at most this many bytes of record data (at least one entry). */
export const SNAPSHOT_PAGE_BYTES = 4_000_000;

/**
 * The user's records read from the change log NEWEST FIRST (descending
 * cursor): a new device's bootstrap, which shows the newest records after the
 * first page instead of the last. A record's newest entry is met first, so the
 * reader keeps the first entry it sees per record (a tombstone included) and
 * skips older ones. `head` is the user's cursor read in the same statement: the
 * feed position the whole walk is consistent with (every entry up to it exists
 * or was compacted away; entries after it are the forward feed's).
 *
 * `after` bounds a page from below (a range of a walk split for concurrent
 * paging); `split` also answers the cuts that divide everything below the page
 * into ranges of about that many entries — found in the same statement by the
 * user's primary-key index (an index-only count, no record data read).
 */
export async function snapshotBefore(
  db: Db,
  userId: string,
  opts: { before?: number; after?: number; limit: number; split?: number },
  maxBytes = SNAPSHOT_PAGE_BYTES,
): Promise<{ head: number; floor: number; changes: Change[]; next: number | null; ranges?: SnapshotRange[] }> {
  const { limit, split } = opts;
  const below = opts.before ?? Number.MAX_SAFE_INTEGER;
  const above = opts.after ?? 0;
  // Every `split`-th entry below `before`, newest first: the lower ends of the ranges (not the
  // oldest entry itself: a range below it would be empty; at most SNAPSHOT_MAX_RANGES of them).
  // (A lateral of its own, so it runs once, not once per row of the page.)
  const cuts = split
    ? sql`select string_agg(s.seq::text, ',' order by s.seq desc) as cuts from (
        select k.seq, row_number() over (order by k.seq desc) as n, count(*) over () as total
        from change_log k where k.user_id = u.id and k.seq < ${below} and k.seq > ${above}) s
        where s.n % greatest(${split}, ceil(s.total / ${SNAPSHOT_MAX_RANGES}::numeric)::int) = 0 and s.n < s.total`
    : sql`select null::text as cuts`;
  // One statement: the user's cursor and the page are read from the same snapshot.
  const result = await db.execute(sql`
    select u.change_seq as head, u.change_floor as floor, x.cuts, c.seq, c.entity, c.record_id, c.op, c.version, c.data, c.up_to
    from users u cross join lateral (${cuts}) x left join lateral (
      select l.seq, l.entity, l.record_id, l.op, l.version, l.data,
        sum(coalesce(octet_length(l.data::text), 0)) over (order by l.seq desc
          rows between unbounded preceding and current row) as up_to
      -- In primary-key order under RLS (db/migrations/0048), as the feed's page (0047).
      from continuum_changes_before(u.id, ${below}::bigint, ${above}::bigint, ${limit + 1}::int) l
      order by l.seq desc) c on true
    where u.id = ${userId}
    order by c.seq desc`);
  type Row = LogRow & { head: string | number; floor: string | number; cuts: string | null };
  const rows = (result.rows as Row[]).filter((r) => r.seq !== null);
  const top = result.rows[0] as Row | undefined;
  const head = Number(top?.head ?? 0);
  const floor = Number(top?.floor ?? 0);
  const fit = fitPage(rows, limit, maxBytes);
  const more = rows.length > fit.length;
  const next = more ? Number(fit.at(-1)!.seq) : null;
  return {
    head,
    floor,
    next,
    ...(split ? { ranges: next === null ? [] : rangesBelow(next, top?.cuts ?? null, opts.after) } : {}),
    changes: fit.map(toChange),
  };
}

/**
 * Disjoint ranges covering (after, next), newest first, cut at each of `cuts`
 * (a comma-separated list of cursors, descending) below `next`: a range holds
 * the entries from its cut (inclusive) up to the range above it.
 */
export function rangesBelow(next: number, cuts: string | null, after: number | undefined): SnapshotRange[] {
  const ranges: SnapshotRange[] = [];
  let upper = next;
  for (const cut of (cuts ?? "").split(",").filter(Boolean).map(Number)) {
    if (cut >= upper) continue;
    ranges.push({ before: String(upper), after: String(cut - 1) });
    upper = cut;
  }
  ranges.push({ before: String(upper), after: after === undefined ? null : String(after) });
  return ranges;
}
