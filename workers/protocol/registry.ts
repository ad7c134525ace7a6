/**
 * Every synced record type, listed once. The write path (workers/sync/write.ts),
 * the change feed and the Durable Object relay handle each one without new
 * plumbing; the web app derives its entity map from here (type-only).
 *
 * Below the list: rows of any of them ↔ wire records — the drizzle row types,
 * a raw row (column names, driver values: the change log, a database
 * function's result) back to a drizzle row, and the registry's `toWire`.
 * Shared by the write path, the change feed, idempotent replays and the
 * export; nothing HTTP or SQL-writing in here.
 */
import { getTableColumns, getTableName, type Column } from "drizzle-orm";
import { conversationRecord, messageRecord, toolCallRecord } from "./assistant.ts";
import { audioRecord } from "./audio.ts";
import type { DeclaredLimits, SyncedTable } from "./declare.ts";
import { focusSessionRecord } from "./focus.ts";
import { focusPresetRecord } from "./focus-presets.ts";
import { inboxItemRecord } from "./inbox.ts";
import { focusLibraryRecord, focusTrackRecord } from "./libraries.ts";
import { marketItemRecord, purchaseRecord, rewardRecord, transactionRecord, walletRecord } from "./market.ts";
import { referenceRecord } from "./references.ts";
import { savedSearchRecord } from "./saved-searches.ts";
import { settingsRecord } from "./settings.ts";
import { todoRecord } from "./todos.ts";
import { loopLikeRecord, loopRecord, songRecord } from "./studio.ts";

const records = [
  settingsRecord,
  inboxItemRecord,
  focusSessionRecord,
  focusPresetRecord,
  audioRecord,
  focusLibraryRecord,
  focusTrackRecord,
  referenceRecord,
  savedSearchRecord,
  todoRecord,
  conversationRecord,
  messageRecord,
  toolCallRecord,
  loopRecord,
  loopLikeRecord,
  songRecord,
  marketItemRecord,
  walletRecord,
  purchaseRecord,
  transactionRecord,
  rewardRecord,
] as const;

type Records = (typeof records)[number];
export const entities = Object.fromEntries(records.map((r) => [r.entity, r])) as {
  [R in Records as R["entity"]]: R;
};

export type EntityName = keyof typeof entities;
/** Each entity's wire record, as the change feed and the API send it. */
export type EntityMap = { [E in EntityName]: ReturnType<(typeof entities)[E]["toWire"]> };
export const isEntity = (name: string): name is EntityName => Object.hasOwn(entities, name);

/** Each declared type's stated numbers (protocol/declare.ts `limits`): its quota and field lengths. */
type Limited = {
  [E in EntityName as (typeof entities)[E] extends { limits: object } ? E : never]: (typeof entities)[E] extends {
    limits: infer L;
  }
    ? L
    : never;
};
const limited = Object.values(entities).flatMap((r) =>
  "limits" in r && r.limits
    ? [{ entity: r.entity, table: getTableName(r.table), limits: r.limits as DeclaredLimits }]
    : [],
);
/** By entity; the web gets them at build time (vite.config.ts `DECLARED_LIMITS`). */
export const declaredLimits = Object.fromEntries(limited.map((r) => [r.entity, r.limits])) as Limited;
/** Per-user quotas of the declared types, by table (what the quota policy and the 413 call the resource). */
export const declaredQuotas: Readonly<Record<string, number>> = Object.fromEntries(
  limited.map((r) => [r.table, r.limits.quota]),
);

// ---- rows ↔ wire, for any entity ----

export type RowOf<E extends EntityName> = (typeof entities)[E]["table"]["$inferSelect"];
export type ValuesOf<E extends EntityName> = Partial<(typeof entities)[E]["table"]["$inferInsert"]>;

const tableOf = (entity: EntityName) => entities[entity].table as SyncedTable;

/** A raw row (column names, driver values) as the drizzle row (property names, JS values). */
const columnsOf = new Map<EntityName, Array<[string, Column]>>();

export function rowFromRaw<E extends EntityName>(entity: E, raw: Record<string, unknown>): RowOf<E> {
  const out: Record<string, unknown> = {};
  // Cached per entity: a snapshot page converts thousands of rows (issue #22's profile).
  let cols = columnsOf.get(entity);
  if (!cols) columnsOf.set(entity, (cols = Object.entries(getTableColumns(tableOf(entity)))));
  for (const [key, col] of cols) {
    const v = raw[col.name];
    out[key] = v === null || v === undefined ? (v ?? null) : col.mapFromDriverValue(v);
  }
  return out as RowOf<E>;
}

export const toWire = <E extends EntityName>(entity: E, row: RowOf<E>) =>
  (entities[entity].toWire as (r: RowOf<E>) => Record<string, unknown>)(row);

/** Whether `row` already holds every value of `values` (compared as JSON: dates, arrays and jsonb alike). */
export const hasValues = (row: object, values: object): boolean =>
  Object.entries(values).every(([k, v]) => JSON.stringify((row as Record<string, unknown>)[k]) === JSON.stringify(v));
