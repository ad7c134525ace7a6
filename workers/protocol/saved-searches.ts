/**
 * Saved searches: a named query for the Search screen ("Errands" → `#errands`),
 * run against the device's own records, offline too. Synced; the plain CRUD
 * shape at /api/saved-searches. This file is the whole declaration: the table
 * (its CHECKs and quota), the fields a client writes, and their limits.
 */
import { text } from "drizzle-orm/pg-core";
import { z } from "zod";
import { lengthCheck, recordTable } from "../../db/schema.ts";
import { declareRecord } from "./declare.ts";

const LIMIT = { quota: 100, name: 60, query: 200 } as const;

export const savedSearches = recordTable(
  "saved_searches",
  { name: text("name").notNull(), query: text("query").notNull() },
  {
    quota: LIMIT.quota,
    checks: (t) => [
      lengthCheck("saved_searches_name_length", t.name, LIMIT.name, 1),
      lengthCheck("saved_searches_query_length", t.query, LIMIT.query, 1),
    ],
  },
);

export const savedSearchRecord = declareRecord({
  entity: "saved_search",
  table: savedSearches,
  label: "Saved search",
  component: "SavedSearch",
  fields: {
    name: z.string().trim().min(1).max(LIMIT.name),
    query: z.string().trim().min(1).max(LIMIT.query),
  },
  required: ["name", "query"],
  limits: LIMIT,
  api: { path: "/api/saved-searches", tag: "Search" },
  sample: { name: "Errands", query: "#errands" },
});
