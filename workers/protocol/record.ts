/**
 * A synced record type, declared once in its domain's protocol module: its
 * entity name (as it appears in the change feed), its table, how a row looks
 * on the wire, and a human label for errors. The registry (./registry.ts)
 * lists them; the write path, the change feed and the relay need nothing else.
 */
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { z } from "zod";

/** The columns the write path relies on (see `recordColumns()` in db/schema.ts). */
export type SyncedTable = PgTable & { id: PgColumn; userId: PgColumn; version: PgColumn; updatedAt: PgColumn };

export interface RecordDef<Name extends string, T extends SyncedTable, W> {
  entity: Name;
  table: T;
  toWire: (row: T["$inferSelect"]) => W;
  /** The wire schema (with a `.meta({ id })`): the OpenAPI component that documents it, e.g. in an export. */
  schema: z.ZodType<W>;
  label: string;
}

export const defineRecord = <const Name extends string, T extends SyncedTable, W>(def: RecordDef<Name, T, W>) => def;

/**
 * A record kept in a join table (no id/version columns of its own, e.g. a
 * like): never written by the generic Writer methods, only by `w.log` with a
 * statement that returns `… as id, … as version`.
 */
export const defineJoinRecord = <const Name extends string, T extends PgTable, W>(def: {
  entity: Name;
  table: T;
  toWire: (row: T["$inferSelect"]) => W;
  schema: z.ZodType<W>;
  label: string;
}) => def;
