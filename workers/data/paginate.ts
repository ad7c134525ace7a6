import { and, arrayContains, desc, eq, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "../../db/client";
import { pageOffset } from "../protocol/common";

export interface PageQuery {
  page: number;
  page_size: number;
  /** A `next_cursor` (SPEC §3 lists cut short by bytes): overrides `page`. */
  cursor?: string | undefined;
}

/**
 * One page of `table` rows and the total, in one query. The total is a scalar
 * subquery, not a window count: `count(*) over ()` made Postgres fetch every
 * matching row (all 50 000 of a big inbox, content included) before the LIMIT,
 * while the subquery counts from the user's index alone (an index-only scan)
 * and the page reads just its rows. Still O(the user's collection) in index
 * entries — docs/SCALING.md names the counter that would make it O(1).
 * `columns` narrows the selection (e.g. to leave out a search vector).
 */
export async function paginate<T extends PgTable, R = T["$inferSelect"]>(
  db: Db,
  table: T,
  opts: { where: SQL | undefined; orderBy: (SQL | PgColumn)[]; columns?: Record<string, PgColumn> },
  q: PageQuery,
): Promise<{ items: R[]; total: number }> {
  const rows = await db
    .select({
      item: (opts.columns ?? table) as never,
      total: sql<number>`(select count(*) from ${table} where ${opts.where ?? sql`true`})`.mapWith(Number),
    })
    .from(table as PgTable)
    .where(opts.where)
    .orderBy(...opts.orderBy)
    .limit(q.page_size)
    .offset(pageOffset(q));
  const total = rows[0]?.total ?? (pageOffset(q) > 0 ? await db.$count(table, opts.where) : 0);
  return { items: rows.map((r) => r.item as R), total };
}

/**
 * One page of the user's own rows of `table`, newest `by` first; ties go by id
 * so neighbouring pages never overlap or skip a row. `?tag=` (a table with a
 * `tags` column): only rows carrying that tag (tags are stored lowercased).
 */
export const paginateOwnNewest = <T extends PgTable & { userId: PgColumn; id: PgColumn; tags?: PgColumn }>(
  db: Db,
  table: T,
  by: PgColumn,
  userId: string,
  q: PageQuery & { tag?: string | undefined },
) => {
  const own = eq(table.userId, userId);
  const where = q.tag && table.tags ? and(own, arrayContains(table.tags, [q.tag.toLowerCase()])) : own;
  return paginate(db, table, { where, orderBy: [desc(by), desc(table.id)] }, q);
};
