/**
 * "Your data" (SPEC §5): every record of a user, per record type of the
 * registry, and their audio — read a page at a time, so an export of any
 * size streams through a Worker's memory. The archive layout is in README
 * ("Your data"); the files are written by workers/lib/zip.ts.
 */
import { and, asc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import { getTableConfig, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Db } from "../../db/client";
import { audioFiles } from "../../db/schema";
import { entities, type EntityName, rowFromRaw } from "../protocol/registry";
import type { ZipEntry } from "../lib/zip";
import { EXPORT_FORMAT, EXPORT_VERSION } from "../protocol/your-data";
import { fileKey } from "./audio";

/** Rows per type in the first statement (every type at once, with the session check). */
const PAGE = 500;
/** Rows per later page of a larger type: fewer round trips; a page of the largest records is a few MB. */
const NEXT_PAGE = 2000;

type AnyRecord = (typeof entities)[EntityName];
// Drizzle's builders don't narrow over a union of tables.
type Loose = any;

/** The OpenAPI component that documents a record type's file (its wire schema's id). */
export const schemaName = (entity: EntityName): string => {
  const id = z.globalRegistry.get(entities[entity].schema as z.ZodType)?.id;
  if (!id) throw new Error(`${entity}: its wire schema needs .meta({ id })`);
  return id;
};

let typesInOrder: readonly EntityName[] | undefined;

/**
 * The registry's record types, each after the types it references (foreign
 * keys between their tables), so an importer can restore them in file order.
 * Derived: a new record type needs nothing here. Worked out once per isolate
 * (an export asks three times, an import once).
 */
export const recordOrder = (): readonly EntityName[] => (typesInOrder ??= referencesFirst());

function referencesFirst(): EntityName[] {
  const byTable = new Map<PgTable, EntityName>();
  for (const name of Object.keys(entities) as EntityName[]) byTable.set(entities[name].table, name);
  const deps = new Map<EntityName, Set<EntityName>>();
  for (const [table, name] of byTable) {
    const refs = new Set<EntityName>();
    for (const fk of getTableConfig(table).foreignKeys) {
      const target = byTable.get(fk.reference().foreignTable);
      if (target && target !== name) refs.add(target);
    }
    deps.set(name, refs);
  }
  const out: EntityName[] = [];
  const visit = (name: EntityName, path: Set<EntityName>) => {
    if (out.includes(name) || path.has(name)) return;
    path.add(name);
    for (const d of deps.get(name)!) visit(d, path);
    out.push(name);
  };
  for (const name of byTable.values()) visit(name, new Set());
  return out;
}

/** The column a table's rows are paged by: its key besides `user_id`. */
export function keyColumn(table: PgTable): PgColumn {
  const config = getTableConfig(table);
  const key = config.primaryKeys[0]?.columns ?? config.columns.filter((c) => c.primary);
  const col = key.find((c) => c.name !== "user_id");
  if (!col) throw new Error(`${config.name}: no key to page by`);
  return col;
}

/** The property (drizzle's name) of a table's column. */
export const propOf = (table: PgTable, col: PgColumn) =>
  Object.entries(getTableColumns(table)).find(([, c]) => c.name === col.name)![0];

export type FirstPages = Map<EntityName, Record<string, unknown>[]>;

/**
 * The first page of every record type in ONE statement: for most accounts the
 * whole export is this one round trip (a route sends it with the session
 * check); only a type with more than a page reads on, by keyset.
 */
export async function firstPages(db: Db, userId: string): Promise<FirstPages> {
  const order = recordOrder();
  const columns = order.map((entity) => {
    const table = entities[entity].table;
    const key = sql.identifier(keyColumn(table).name);
    return sql`(select coalesce(jsonb_agg(to_jsonb(x) order by x.${key}), '[]'::jsonb)
      from (select * from ${table} where user_id = ${userId} order by ${key} limit ${PAGE}) x) as ${sql.identifier(entity)}`;
  });
  const { rows } = await db.execute(sql`select ${sql.join(columns, sql`, `)}`);
  const row = rows[0] as Record<string, Record<string, unknown>[]>;
  return new Map(order.map((e) => [e, row[e]!.map((raw) => rowFromRaw(e, raw) as Record<string, unknown>)]));
}

/**
 * All of a type's rows: the first page, then on by keyset while pages are full. Each next page is
 * asked for before the rows in hand are handed on, so its round trip overlaps their streaming (a
 * large account's export was one round trip per page in sequence, after the response had
 * started — X-Db-Queries counts only the first statement).
 */
async function* allRows(db: Db, entity: EntityName, userId: string, first: FirstPages) {
  const table = entities[entity].table;
  const key = keyColumn(table);
  const prop = propOf(table, key);
  const owner = (getTableColumns(table) as Record<string, PgColumn>).userId!;
  const pageAfter = (rows: Record<string, unknown>[], size: number) => {
    if (rows.length < size) return undefined;
    // Sent now (a drizzle query runs when awaited, and again at every await: one real promise).
    const asked: Promise<Record<string, unknown>[]> = Promise.resolve(
      (db as Loose)
        .select()
        .from(table)
        .where(and(eq(owner, userId), gt(key, rows.at(-1)![prop])))
        .orderBy(asc(key))
        .limit(NEXT_PAGE),
    );
    asked.catch(() => {}); // a stream abandoned mid-way leaves it unread; its error is not unhandled
    return asked;
  };
  let rows = first.get(entity)!;
  let next = pageAfter(rows, PAGE);
  for (;;) {
    yield* rows;
    if (!next) return;
    rows = await next;
    next = pageAfter(rows, NEXT_PAGE);
  }
}

const encoder = new TextEncoder();

/** A JSON array with one record per line (so a reader may also take it line by line). */
async function* jsonLines(rows: AsyncIterable<Record<string, unknown>>, record: AnyRecord): AsyncIterable<Uint8Array> {
  let first = true;
  const toWire = record.toWire as (row: unknown) => unknown;
  for await (const row of rows) {
    yield encoder.encode(`${first ? "[\n" : ",\n"}${JSON.stringify(toWire(row))}`);
    first = false;
  }
  yield encoder.encode(first ? "[]\n" : "\n]\n");
}

export const recordFile = (entity: EntityName) => `records/${entity}.json`;
export const audioFile = (row: { id: string; format: string }) => `audio/${row.id}.${row.format}`;

export function manifest(user: { id: string; email: string; username: string; created_at: string }) {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exported_at: new Date().toISOString(),
    user,
    documentation: "/api/openapi.json",
    records: recordOrder().map((entity) => ({
      entity,
      file: recordFile(entity),
      schema: `#/components/schemas/${schemaName(entity)}`,
    })),
    audio: { directory: "audio/", name: "<audio record id>.<format>", schema: "#/components/schemas/Audio" },
  };
}

/** The archive's entries: the manifest, one file per record type, then each audio file's bytes. */
export async function* exportEntries(
  db: Db,
  bucket: R2Bucket,
  user: Parameters<typeof manifest>[0],
  first: FirstPages,
): AsyncIterable<ZipEntry> {
  yield { name: "manifest.json", data: [encoder.encode(`${JSON.stringify(manifest(user), null, 2)}\n`)] };
  for (const entity of recordOrder())
    yield {
      name: recordFile(entity),
      data: jsonLines(allRows(db, entity, user.id, first), entities[entity] as AnyRecord),
    };
  for await (const raw of allRows(db, "audio", user.id, first)) {
    const row = raw as typeof audioFiles.$inferSelect;
    const object = await bucket.get(fileKey(row));
    // A record whose bytes are missing (lost before the export): its metadata is in records/audio.json.
    if (!object) continue;
    yield { name: audioFile(row), data: object.body, modified: row.createdAt };
  }
}
