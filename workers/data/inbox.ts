import { and, arrayContains, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { inboxItems } from "../../db/schema";
import { paginate } from "./paginate";

/** One query: the page and the total (window count). Newest first. */
export async function listInbox(
  db: Db,
  userId: string,
  q: { page: number; page_size: number; tag?: string | undefined },
) {
  const where = q.tag
    ? and(eq(inboxItems.userId, userId), arrayContains(inboxItems.tags, [q.tag.toLowerCase()]))
    : eq(inboxItems.userId, userId);
  return paginate(db, inboxItems, { where, orderBy: [desc(inboxItems.createdAt), desc(inboxItems.id)] }, q);
}
