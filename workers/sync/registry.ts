/**
 * Every synced record type, registered once. A new domain adds its table and
 * a `toWire` mapping here; the write path (./commit.ts, ./records.ts), the
 * change feed and the Durable Object relay then handle it without new plumbing.
 */
import type { PgTable } from "drizzle-orm/pg-core";
import { focusSessions, inboxItems, settings } from "../../db/schema";
import { focusSessionToWire } from "../protocol/focus";
import { inboxItemToWire } from "../protocol/inbox";
import { settingsToWire } from "../protocol/settings";

export interface EntityDef<Row = never> {
  table: PgTable;
  toWire(row: Row): Record<string, unknown>;
}

const define = <T extends PgTable & { $inferSelect: object }>(table: T, toWire: (row: T["$inferSelect"]) => Record<string, unknown>) => ({
  table,
  toWire,
});

export const entities = {
  settings: define(settings, settingsToWire),
  inbox_item: define(inboxItems, inboxItemToWire),
  focus_session: define(focusSessions, focusSessionToWire),
};

export type EntityName = keyof typeof entities;
export const entityNames = Object.keys(entities) as EntityName[];
