import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { changeLog } from "../../db/schema";
import type { Change } from "../protocol/sync";
import { isEntity, rowFromRaw, toWire } from "../protocol/registry";

/**
 * A page of the change feed holds at most this many bytes of record data (and
 * at least one entry, however large): a page by bytes as well as by rows, so
 * a feed of big records (a reference can hold 100 000 characters) never
 * answers megabytes at once. `has_more` stays truthful.
 */
export const FEED_PAGE_BYTES = 1_000_000;

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
  const rows = await db
    .select({
      entry: changeLog,
      // Bytes of the page up to and with this entry (a running sum: streamed, so the limit still stops the scan).
      upTo: sql<string>`sum(coalesce(octet_length(${changeLog.data}::text), 0)) over (order by ${changeLog.seq}
        rows between unbounded preceding and current row)`,
      now: sql<string>`(extract(epoch from now()) * 1000)::bigint::text`,
      pastRetention,
    })
    .from(changeLog)
    .where(and(eq(changeLog.userId, userId), gt(changeLog.seq, since)))
    .orderBy(asc(changeLog.seq))
    .limit(limit + 1);
  const fit = rows.filter((r, i) => i === 0 || Number(r.upTo) <= maxBytes).slice(0, limit);
  const hasMore = rows.length > fit.length;
  return {
    hasMore,
    now: rows[0] ? Number(rows[0].now) : null,
    pastRetention: rows[0]?.pastRetention === true,
    changes: fit.map(({ entry: r }) => ({
      cursor: String(r.seq),
      entity: r.entity,
      id: r.recordId,
      op: r.op,
      version: r.version,
      data:
        r.data && isEntity(r.entity)
          ? toWire(r.entity, rowFromRaw(r.entity, r.data as Record<string, unknown>))
          : (r.data as Record<string, unknown> | null),
    })),
  };
}

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
 */
export async function snapshotBefore(
  db: Db,
  userId: string,
  before: number | undefined,
  limit: number,
  maxBytes = SNAPSHOT_PAGE_BYTES,
): Promise<{ head: number; changes: Change[]; next: number | null }> {
  const below = before ?? Number.MAX_SAFE_INTEGER;
  // One statement: the user's cursor and the page are read from the same snapshot.
  const result = await db.execute(sql`
    select u.change_seq as head, c.seq, c.entity, c.record_id, c.op, c.version, c.data, c.up_to
    from users u left join lateral (
      select l.seq, l.entity, l.record_id, l.op, l.version, l.data,
        sum(coalesce(octet_length(l.data::text), 0)) over (order by l.seq desc
          rows between unbounded preceding and current row) as up_to
      from change_log l
      where l.user_id = u.id and l.seq < ${below}
      order by l.seq desc
      limit ${limit + 1}) c on true
    where u.id = ${userId}
    order by c.seq desc`);
  type Row = {
    head: string | number;
    seq: string | number | null;
    entity: string;
    record_id: string;
    op: "upsert" | "delete";
    version: number;
    data: Record<string, unknown> | null;
    up_to: string | number;
  };
  const rows = (result.rows as Row[]).filter((r) => r.seq !== null);
  const head = Number((result.rows[0] as Row | undefined)?.head ?? 0);
  const fit = rows.filter((r, i) => i === 0 || Number(r.up_to) <= maxBytes).slice(0, limit);
  const more = rows.length > fit.length;
  return {
    head,
    next: more ? Number(fit.at(-1)!.seq) : null,
    changes: fit.map((r) => ({
      cursor: String(r.seq),
      entity: r.entity,
      id: r.record_id,
      op: r.op,
      version: Number(r.version),
      data: r.data && isEntity(r.entity) ? toWire(r.entity, rowFromRaw(r.entity, r.data)) : r.data,
    })),
  };
}
