/** Reference library queries: filters, and `q` full-text search on the GIN-indexed `search` column. */
import { and, arrayContains, desc, eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { referenceItems } from "../../db/schema";
import type { ListReferences } from "../protocol/references";
import { paginate } from "./paginate";

const { search: _search, ...listed } = getTableColumns(referenceItems);

/**
 * `q` as a tsquery: every word must match, each as a prefix ("comp" finds
 * "composition"). Only letters and digits reach to_tsquery, so its syntax
 * can't be injected. No words → no text filter.
 */
export function searchQuery(q: string | undefined): SQL | undefined {
  // Folded like the column (continuum_unaccent): "Café" and "cafe" are the same word.
  const words = q
    ?.normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu)
    ?.slice(0, 16);
  return words?.length ? sql`to_tsquery('simple', ${words.map((w) => `${w}:*`).join(" & ")})` : undefined;
}

/** Pinned first, then best match (with `q`), then newest. One query: the page and the total. */
export async function listReferences(db: Db, userId: string, q: ListReferences) {
  const tsquery = searchQuery(q.q);
  const where = and(
    eq(referenceItems.userId, userId),
    q.archived === "all" ? undefined : eq(referenceItems.archived, q.archived === "true"),
    q.category ? eq(referenceItems.category, q.category) : undefined,
    q.tag ? arrayContains(referenceItems.tags, [q.tag.toLowerCase()]) : undefined,
    tsquery ? sql`${referenceItems.search} @@ ${tsquery}` : undefined,
  );
  const orderBy = [
    desc(referenceItems.pinned),
    ...(tsquery ? [desc(sql`ts_rank(${referenceItems.search}, ${tsquery})`)] : []),
    desc(referenceItems.createdAt),
    desc(referenceItems.id),
  ];
  return paginate<typeof referenceItems, Omit<typeof referenceItems.$inferSelect, "search">>(
    db,
    referenceItems,
    { where, orderBy, columns: listed },
    q,
  );
}
