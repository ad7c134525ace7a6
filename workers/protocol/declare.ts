/**
 * Synced record types. `defineRecord` states any of them by hand (entity,
 * table, `toWire`, wire schema, label); `declareRecord` declares a plain one.
 *
 * One declaration per plain record type. A domain's protocol module names
 * its table (db/schema.ts) and the fields a client may write, each with its
 * checks (limits from ./rules.ts); everything else is derived here:
 *
 * - the wire schema: every column except `user_id` (and any `hidden`), keyed
 *   by the column's SQL name — the wire is snake_case because the columns are;
 * - the create schema: strict, an optional client `id`, the writable fields
 *   (optional unless `required`);
 * - the update schema: strict, every writable field optional, plus `version`;
 * - `toWire`: dates as ISO-8601 strings, everything else as stored;
 * - `toInsert` / `toUpdate`: a body as column values. A field a create leaves
 *   out takes its column's default (so a repeated create compares whole
 *   records), a date string becomes a Date, and `toColumns` covers fields that
 *   are not simply their column (normalised tags, a server-stamped time).
 *
 * Why our own derivation and not drizzle-zod: docs/ARCHITECTURE.md ("Record
 * declarations").
 */
import { getTableColumns, is, SQL, type Column } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import { recordBase, versionField } from "./common.ts";

// ---- any synced record type (declared by hand or by declareRecord below) ----
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

// ---- a declared plain record type ----

type Shape = Record<string, z.ZodType>;
type Cols<T extends SyncedTable> = T["_"]["columns"];
type WireValue<C extends Column> =
  (C["_"]["data"] extends Date ? string : C["_"]["data"]) | (C["_"]["notNull"] extends true ? never : null);

/** A row of `T` on the wire: columns by SQL name, dates as strings, without `user_id` and the hidden ones. */
export type WireOf<T extends SyncedTable, H extends string = never> = {
  [K in keyof Cols<T> as K extends "userId" | H ? never : Cols<T>[K]["_"]["name"]]: WireValue<Cols<T>[K]>;
};

/** A wire field computed from the row (e.g. a loop's `owner`), standing in for the columns it `replaces`. */
export interface Computed<Row> {
  schema: z.ZodType;
  of(row: Row): unknown;
  /** Columns (by property name) it is made of, kept off the wire themselves. */
  replaces?: readonly string[];
}
type ComputedMap<Row> = Record<string, Computed<Row>>;
type Replaced<X> = {
  [K in keyof X]: X[K] extends { replaces: readonly (infer C extends string)[] } ? C : never;
}[keyof X];
type ComputedWire<X> = { [K in keyof X]: X[K] extends { schema: infer S extends z.ZodType } ? z.output<S> : never };

type CreateShape<F extends Shape, R extends keyof F, U extends keyof F> = {
  id: z.ZodOptional<z.ZodUUID>;
} & { [K in Exclude<keyof F, U>]: K extends R ? F[K] : z.ZodOptional<F[K]> };
type UpdateShape<F extends Shape> = { [K in keyof F]: z.ZodOptional<F[K]> } & typeof versionField;

type Body<F extends Shape> = { [K in keyof F]?: z.output<F[K]> };

/** Where a declared type's CRUD routes live (SPEC §3 shape), and its OpenAPI tag. */
export interface RecordApi<P extends string = string> {
  path: P;
  tag: string;
}

export interface RecordDeclaration<
  Name extends string,
  T extends SyncedTable,
  F extends Shape,
  R extends keyof F & string,
  U extends keyof F & string,
  H extends string,
  P extends string,
  X extends ComputedMap<Omit<T["$inferSelect"], H>> = {},
  L extends DeclaredLimits<F> | undefined = undefined,
> {
  /** The entity name in the change feed, e.g. "todo". */
  entity: Name;
  table: T;
  /** A human name for errors ("Todo not found"). */
  label: string;
  /** The OpenAPI component of the wire record and the stem of operation ids, e.g. "Todo". */
  component: string;
  /** Every field a client may write, by wire name (the column's SQL name unless `toColumns` maps it). */
  fields: F;
  /** The fields a create must carry. */
  required: readonly R[];
  /** Fields only an update may carry (actions such as inbox `done`), mapped by `toColumns`. */
  updateOnly?: readonly U[];
  /** Columns (by property name) that are not on the wire, e.g. a generated search vector. */
  hidden?: readonly H[];
  /** Wire schemas for columns whose type alone doesn't say (jsonb), by wire name. */
  wire?: Shape;
  /** Wire fields computed from the row rather than stored as such. */
  computed?: X;
  /** A rule across fields of a create (an update's other half is the stored row: the table's CHECK holds it). */
  createRule?: { holds(body: Body<F>): boolean; message: string; path: string[] };
  /** A written field as column values, when it is not simply its own column. */
  toColumns?: { [K in keyof F]?: (v: z.output<F[K]>) => Partial<T["$inferInsert"]> };
  /**
   * The CRUD routes' base path and tag. A type with no route module of its own
   * is mounted there by workers/routes/index.ts (listed newest first); the web's
   * record client and the property tests find it there too.
   */
  api: RecordApi<P>;
  /** Fields holding the id of another of the user's records, by entity: a write must name one the user owns. */
  refs?: { [K in keyof F]?: string };
  /** A small valid create body: what the property tests and the bench seed a record of this type with. */
  sample: { [K in R]: z.input<F[K]> } & { [K in Exclude<keyof F, U | R>]?: z.input<F[K]> };
  /**
   * A type whose table is a `recordTable()` (db/schema.ts) states its numbers
   * here, the same constant its CHECKs, quota policy and zod fields use:
   * `quota` (per user) and each field's maximum length. The registry collects
   * them (`declaredQuotas`), README "Limits" is checked against them
   * (tests/unit/readme-limits.test.ts), and the web reads them at build time
   * (`DECLARED_LIMITS`, vite.config.ts) — none of them retyped in rules.ts.
   */
  limits?: L;
}

/** A declared type's quota and field maximums (`limits`). */
export type DeclaredLimits<F extends Shape = Shape> = { readonly quota: number } & {
  readonly [K in keyof F]?: number;
};

/** The wire schema of a column, from its type (a `wire` entry overrides it). */
function columnWire(col: Column): z.ZodType {
  const of = (c: Column): z.ZodType => {
    switch (c.columnType) {
      case "PgText":
        return c.enumValues?.length ? z.enum(c.enumValues as [string, ...string[]]) : z.string();
      case "PgUUID":
        return z.uuid();
      case "PgBoolean":
        return z.boolean();
      case "PgTimestamp":
        return z.string();
      case "PgInteger":
        return z.number().int();
      case "PgReal":
      case "PgDoublePrecision":
        return z.number();
      case "PgArray":
        return z.array(of((c as unknown as { baseColumn: Column }).baseColumn));
      default:
        throw new Error(`${c.name}: no wire schema for ${c.columnType}; declare it in \`wire\``);
    }
  };
  const base = of(col);
  return col.notNull ? base : base.nullable();
}

/** What a create that leaves the column out stores: its literal default, `[]`/null, or the database's own. */
function columnDefault(col: Column): unknown {
  if (col.default !== undefined && !is(col.default, SQL)) return col.default;
  if (col.defaultFn) {
    // `$defaultFn` in db/schema.ts: a default stated once, in TypeScript.
    const v = col.defaultFn();
    return is(v, SQL) ? undefined : v;
  }
  if (!col.notNull && !col.hasDefault) return null;
  return undefined;
}

const toColumnValue = (col: Column, v: unknown) =>
  col.columnType === "PgTimestamp" && typeof v === "string" ? new Date(v) : v;

export function declareRecord<
  const Name extends string,
  T extends SyncedTable,
  F extends Shape,
  const R extends keyof F & string,
  const U extends keyof F & string = never,
  const H extends string = never,
  const P extends string = string,
  const X extends ComputedMap<Omit<T["$inferSelect"], H>> = {},
  const L extends DeclaredLimits<F> | undefined = undefined,
>(def: RecordDeclaration<Name, T, F, R, U, H, P, X, L>) {
  type Wire = WireOf<T, H | Replaced<X>> & ComputedWire<X>;
  const hidden: readonly string[] = def.hidden ?? [];
  const updateOnly: readonly string[] = def.updateOnly ?? [];
  const required: readonly string[] = def.required;
  const mappers = (def.toColumns ?? {}) as Record<string, ((v: unknown) => object) | undefined>;
  const columns = Object.entries(getTableColumns(def.table) as Record<string, Column>);
  const computed = Object.entries((def.computed ?? {}) as ComputedMap<object>);
  const replaced = computed.flatMap(([, c]) => c.replaces ?? []);
  const onWire = columns.filter(([key]) => key !== "userId" && !hidden.includes(key) && !replaced.includes(key));
  const byWireName = new Map(columns.map(([key, col]) => [col.name, { key, col }]));

  for (const name of Object.keys(def.fields))
    if (!mappers[name] && !byWireName.has(name))
      throw new Error(`${def.entity}.${name}: not a column of its table, and no toColumns entry maps it`);

  const wireShape: Shape = { ...recordBase };
  for (const [, col] of onWire) wireShape[col.name] ??= def.wire?.[col.name] ?? columnWire(col);
  for (const [name, c] of computed) wireShape[name] = c.schema;
  // An object schema (so a response can `.extend()` it) whose output is exactly the wire record.
  const schema = z.object(wireShape).meta({ id: def.component }) as unknown as z.ZodObject<{
    [K in keyof Wire]-?: z.ZodType<Wire[K]>;
  }>;

  /** An optional create field, documented with its column's default when it has one (the insert takes it). */
  const withDefault = (s: z.ZodType, name: string) => {
    const col = byWireName.get(name)?.col;
    const fallback = col && col.hasDefault ? columnDefault(col) : undefined;
    return fallback === undefined ? s.optional() : s.optional().default(() => columnDefault(col!) as never);
  };
  const createShape: Shape = { id: z.uuid().optional() };
  for (const [name, s] of Object.entries(def.fields))
    if (!updateOnly.includes(name)) createShape[name] = required.includes(name) ? s : withDefault(s, name);
  const rule = def.createRule;
  const create = (rule
    ? z.strictObject(createShape).refine((b) => rule.holds(b as Body<F>), { message: rule.message, path: rule.path })
    : z.strictObject(createShape)) as unknown as z.ZodObject<CreateShape<F, R, U>, z.core.$strict>;

  const updateShape: Shape = {};
  for (const [name, s] of Object.entries(def.fields)) updateShape[name] = s.optional();
  const update = z.strictObject({ ...updateShape, ...versionField }) as unknown as z.ZodObject<
    UpdateShape<F>,
    z.core.$strict
  >;

  /** One written field as column values. */
  const valuesOf = (name: string, v: unknown): object => {
    const map = mappers[name];
    if (map) return map(v);
    const { key, col } = byWireName.get(name)!;
    return { [key]: toColumnValue(col, v) };
  };

  /** A create body (without `id`) as column values; absent fields take their column's default. */
  function toInsert(body: Body<F>): Partial<T["$inferInsert"]> {
    const values = {};
    for (const name of Object.keys(def.fields)) {
      if (updateOnly.includes(name)) continue;
      const given = (body as Record<string, unknown>)[name];
      const col = byWireName.get(name)?.col;
      const v = given === undefined && col ? columnDefault(col) : given;
      if (v !== undefined) Object.assign(values, valuesOf(name, v));
    }
    return values;
  }

  /** An update body (without `version`) as column values: only the fields it has. */
  function toUpdate(body: Body<F>): Partial<T["$inferInsert"]> {
    const values = {};
    for (const [name, v] of Object.entries(body)) if (v !== undefined) Object.assign(values, valuesOf(name, v));
    return values;
  }

  function toWire(row: Omit<T["$inferSelect"], H>): Wire {
    const out: Record<string, unknown> = {};
    const r = row as Record<string, unknown>;
    for (const [key, col] of onWire) {
      const v = r[key];
      out[col.name] = v instanceof Date ? v.toISOString() : v;
    }
    for (const [name, c] of computed) out[name] = c.of(row);
    return out as Wire;
  }

  return {
    ...defineRecord({
      entity: def.entity,
      table: def.table,
      toWire,
      schema: schema as unknown as z.ZodType<Wire>,
      label: def.label,
    }),
    // Their own types: `toWire` also takes a row without the hidden columns (a list that skips them).
    toWire,
    schema,
    component: def.component,
    api: def.api,
    refs: (def.refs ?? {}) as Readonly<Record<string, string>>,
    sample: def.sample,
    limits: def.limits as L,
    create,
    update,
    toInsert,
    toUpdate,
  };
}

/**
 * A record type without the CRUD shape: settings (one per user, made at
 * signup; its module updates and resets it), messages and tool calls (written
 * only by the assistant's run). Derived as above: the wire schema, `toWire`,
 * the update schema and mappings; no create, and no `api`/`sample`, so the
 * CRUD-derived sets (plain routes, property/RLS seeds, the web's record
 * client) leave it out.
 */
export function declareWithoutCrud<
  const Name extends string,
  T extends SyncedTable,
  F extends Shape,
  const H extends string = never,
  const X extends ComputedMap<Omit<T["$inferSelect"], H>> = {},
>(
  def: Omit<
    RecordDeclaration<Name, T, F, never, never, H, string, X>,
    "required" | "updateOnly" | "api" | "sample" | "refs" | "createRule"
  >,
) {
  const {
    api: _api,
    sample: _sample,
    create: _create,
    toInsert: _toInsert,
    refs: _refs,
    ...record
  } = declareRecord({
    ...def,
    required: [],
    api: { path: "", tag: "" },
    sample: {} as never,
  });
  return record;
}
