import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { changeLog } from "../../db/schema";
import type { Change } from "../protocol/sync";
import { isEntity } from "../protocol/registry";
import { rowFromRaw, toWire } from "../sync/write";

/** Changes after `since`, in cursor order (primary-key range scan). The log holds raw rows; they leave as wire records. */
export async function changesSince(
  db: Db,
  userId: string,
  since: number,
  limit: number,
): Promise<{ changes: Change[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(changeLog)
    .where(and(eq(changeLog.userId, userId), gt(changeLog.seq, since)))
    .orderBy(asc(changeLog.seq))
    .limit(limit + 1);
  const hasMore = rows.length > limit;
  return {
    hasMore,
    changes: rows.slice(0, limit).map((r) => ({
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
