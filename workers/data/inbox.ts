import { and, arrayContains, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { inboxItems } from "../../db/schema";

/** One query: the page and the total (window count). Newest first. */
export async function listInbox(db: Db, userId: string, q: { page: number; page_size: number; tag?: string | undefined }) {
  const where = q.tag
    ? and(eq(inboxItems.userId, userId), arrayContains(inboxItems.tags, [q.tag.toLowerCase()]))
    : eq(inboxItems.userId, userId);
  const rows = await db
    .select({ item: inboxItems, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(inboxItems)
    .where(where)
    .orderBy(desc(inboxItems.createdAt), desc(inboxItems.id))
    .limit(q.page_size)
    .offset((q.page - 1) * q.page_size);
  const total = rows[0]?.total ?? (q.page > 1 ? await db.$count(inboxItems, where) : 0);
  return { items: rows.map((r) => r.item), total };
}
