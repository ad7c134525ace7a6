import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { changeLog } from "../../db/schema";
import type { Change } from "../protocol/sync";
import { isEntity } from "../protocol/registry";
import { rowFromRaw, toWire } from "../protocol/row-mapping";

/**
 * A page of the change feed holds at most this many bytes of record data (and
 * at least one entry, however large): a page by bytes as well as by rows, so
 * a feed of big records (a reference can hold 100 000 characters) never
 * answers megabytes at once. `has_more` stays truthful.
 */
export const FEED_PAGE_BYTES = 1_000_000;

/** Changes after `since`, in cursor order (primary-key range scan). The log holds raw rows; they leave as wire records. */
export async function changesSince(
  db: Db,
  userId: string,
  since: number,
  limit: number,
  maxBytes = FEED_PAGE_BYTES,
): Promise<{ changes: Change[]; hasMore: boolean }> {
  const rows = await db
    .select({
      entry: changeLog,
      // Bytes of the page up to and with this entry (a running sum: streamed, so the limit still stops the scan).
      upTo: sql<string>`sum(coalesce(octet_length(${changeLog.data}::text), 0)) over (order by ${changeLog.seq}
        rows between unbounded preceding and current row)`,
    })
    .from(changeLog)
    .where(and(eq(changeLog.userId, userId), gt(changeLog.seq, since)))
    .orderBy(asc(changeLog.seq))
    .limit(limit + 1);
  const fit = rows.filter((r, i) => i === 0 || Number(r.upTo) <= maxBytes).slice(0, limit);
  const hasMore = rows.length > fit.length;
  return {
    hasMore,
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
