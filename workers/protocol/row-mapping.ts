/**
 * Rows of synced tables ↔ wire records, for any entity in the registry: the
 * drizzle row types, a raw row (column names, driver values — the change log,
 * a database function's result) back to a drizzle row, and the registry's
 * `toWire`. Shared by the write path, the change feed, idempotent replays and
 * the export; nothing HTTP or SQL-writing in here.
 */
import { getTableColumns } from "drizzle-orm";
import type { SyncedTable as Synced } from "./record";
import { entities, type EntityName } from "./registry";

export type RowOf<E extends EntityName> = (typeof entities)[E]["table"]["$inferSelect"];
export type ValuesOf<E extends EntityName> = Partial<(typeof entities)[E]["table"]["$inferInsert"]>;

const tableOf = (entity: EntityName) => entities[entity].table as Synced;

/** A raw row (column names, driver values) as the drizzle row (property names, JS values). */
export function rowFromRaw<E extends EntityName>(entity: E, raw: Record<string, unknown>): RowOf<E> {
  const out: Record<string, unknown> = {};
  for (const [key, col] of Object.entries(getTableColumns(tableOf(entity)))) {
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
