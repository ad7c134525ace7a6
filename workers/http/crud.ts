/**
 * The plain CRUD shape of a synced record type (SPEC §3), declared once:
 *
 *   GET    {base}        a page of the user's records   → {items, page, page_size, total, next_cursor}
 *   POST   {base}        create (client `id` allowed)   → 201, or 200 for a repeated id with the same content
 *   GET    {base}/{id}   one record                     → ETag: "<version>"
 *   PUT    {base}/{id}   partial update, If-Match or body `version`
 *   DELETE {base}/{id}   delete, If-Match               → 204
 *
 * Versions, idempotency, the change log and the live relay come from the
 * write path; a domain supplies only its schemas, how to list, and how a body
 * becomes column values.
 */
import { and, eq } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Context } from "hono";
import { z, type ZodObject, type ZodType } from "zod";
import type { Db } from "../../db/client";
import { paged, pageQuery, pageResponse, tagSchema } from "../protocol/common";
import { paginateOwnNewest, type PageQuery } from "../data/paginate";
import { expectedVersion, requestScope, sendRecord } from "./record";
import { findOwned, write, type Writer } from "../sync/write";
import type { SyncedTable } from "../protocol/declare";
import {
  entities,
  type EntityName,
  isEntity,
  type RowOf,
  toWire as toWireOf,
  type ValuesOf,
} from "../protocol/registry";
import { notFound, type AppError } from "../errors";
import { type Api, createApi, idParam, jsonContent, jsonRequest, register, route } from "./openapi";

type Body<S extends ZodType> = z.output<S>;

/** Where a standalone GET route lives and what the OpenAPI document calls it (listRoute, getRoute). */
interface GetNaming {
  path: string;
  tag: string;
  operationId: string;
  /** The route trait (http/openapi.ts): these handlers are written for either mode. */
  pipelined: boolean;
}
const getAt = (def: GetNaming) => ({
  method: "get" as const,
  path: def.path,
  tags: [def.tag],
  operationId: def.operationId,
  pipelined: def.pipelined,
});

/** The five operations of the CRUD shape. */
export type CrudOp = "list" | "create" | "get" | "update" | "delete";

export interface CrudDef<E extends EntityName, C extends ZodType, U extends ZodType, Q extends ZodObject> {
  entity: E;
  /** OpenAPI tag and operation-id stem, e.g. "Inbox" / "InboxItem". */
  tag: string;
  name: string;
  /** The list's operation-id stem when not `${name}s` (e.g. "FocusLibraries"). */
  plural?: string;
  /**
   * The operations this helper declares (default: all five). A type whose
   * other operations do more than the plain shape writes those itself with
   * `route()`, beside these.
   */
  only?: readonly CrudOp[];
  /** An operation's description in the OpenAPI document (e.g. the list's order). */
  describe?: Partial<Record<CrudOp, string>>;
  schemas: { record: ZodType; create: C; update: U; list: Q };
  /** A valid create body, documented as the create's example (the bench derives its fixtures from it). */
  example?: object;
  /** The route trait (http/openapi.ts) of all five operations. */
  pipelined: boolean;
  /** A page of the user's rows (any selection `toWire` accepts) and the total. */
  list(db: Db, userId: string, q: Body<Q>): Promise<{ items: readonly object[]; total: number }>;
  /** Column values for an insert (the `id` is added by the helper). */
  toInsert(body: Body<C>): ValuesOf<E>;
  /** Column values for an update (without `version`, which is the precondition). */
  toUpdate(body: Omit<Body<U>, "version">): ValuesOf<E>;
  /**
   * Checks inside the write before it happens (e.g. that a referenced record
   * is the user's, locking it). When it returns true for a body, the write
   * runs in a transaction so the check holds until commit.
   */
  check?: {
    needed(body: Body<C> | Body<U>): boolean;
    run(w: Writer, userId: string, body: Body<C> | Body<U>): Promise<void>;
  };
  /** A refusal the database raised in the write's own statement (a trigger's), as the API's error. */
  refusal?: (err: unknown, body: Body<C> | Body<U>) => AppError | undefined;
}

/**
 * GET a page of the user's records → `{items, page, page_size, total}` (SPEC §3 lists).
 * `toWire` turns each listed row into its wire record.
 */
export function listRoute<Q extends ZodObject>(
  app: Api,
  def: GetNaming & {
    description?: string;
    /** What the 200 response is (default: a page, newest first unless stated). */
    pageDescription?: string;
    record: ZodType;
    query: Q;
    list(db: Db, userId: string, q: Body<Q>): Promise<{ items: readonly object[]; total: number }>;
    toWire(row: never): unknown;
  },
): void {
  register(
    app,
    route({
      ...getAt(def),
      ...(def.description ? { description: def.description } : {}),
      request: { query: def.query },
      responses: { 200: jsonContent(paged(def.record), def.pageDescription ?? "A page, newest first unless stated") },
      errors: [400],
    }),
    async (c) => {
      const q = c.req.valid("query" as never) as Body<Q> & PageQuery;
      const { items, total } = await def.list(c.var.db, c.var.user.id, q);
      return c.json(
        pageResponse(
          q,
          items.map((row) => def.toWire(row as never)),
          total,
        ),
      );
    },
  );
}

/** GET one of the user's records by id → the record with `ETag: "<version>"` (404 if not theirs). */
export function getRoute<E extends EntityName>(
  app: Api,
  def: GetNaming & {
    entity: E;
    record: ZodType;
    /** How to answer (default: the record as the change feed has it). */
    respond?(c: Context, row: RowOf<E>): Response;
  },
): void {
  register(
    app,
    route({
      ...getAt(def),
      request: { params: idParam("id") },
      responses: { 200: jsonContent(def.record, "The record") },
      errors: [404],
    }),
    async (c) => {
      const row = await findOwned(c.var.db, def.entity, c.var.user.id, c.req.valid("param").id);
      return def.respond ? def.respond(c, row) : sendRecord(c, def.entity, row);
    },
  );
}

/** A declared record type's part of a CrudDef (protocol/declare.ts): entity, names, schemas and body mapping. */
export function declaredCrud<
  D extends {
    entity: EntityName;
    component: string;
    api: { tag: string };
    schema: ZodType;
    create: ZodType;
    update: ZodType;
    toInsert(body: never): object;
    toUpdate(body: never): object;
    sample?: object;
  },
  Q extends ZodObject,
>(record: D, list: Q) {
  return {
    entity: record.entity as D["entity"],
    example: record.sample,
    tag: record.api.tag,
    name: record.component,
    schemas: {
      record: record.schema,
      create: record.create as D["create"],
      update: record.update as D["update"],
      list,
    },
    toInsert: record.toInsert as (body: Body<D["create"]>) => ValuesOf<D["entity"]>,
    toUpdate: record.toUpdate as (body: Omit<Body<D["update"]>, "version">) => ValuesOf<D["entity"]>,
  };
}

export function crudRoutes<E extends EntityName, C extends ZodType, U extends ZodType, Q extends ZodObject>(
  app: Api,
  def: CrudDef<E, C, U, Q>,
): void {
  const { entity, schemas, tag, name, pipelined } = def;
  const has = (op: CrudOp) => !def.only || def.only.includes(op);
  const described = (op: CrudOp) => (def.describe?.[op] ? { description: def.describe[op] } : {});
  const record = jsonContent(schemas.record, `The ${name}`);
  const byId = { params: idParam("id") };
  const guarded = async (w: Writer, userId: string, body: Body<C> | Body<U>) => {
    if (def.check?.needed(body)) await def.check.run(w, userId, body);
  };
  const transaction = (body: Body<C> | Body<U>) => ({ transaction: def.check?.needed(body) ?? false });
  const refused = (body: Body<C> | Body<U>) => (err: unknown) => {
    throw def.refusal?.(err, body) ?? err;
  };

  if (has("list"))
    listRoute(app, {
      path: "/",
      tag,
      pipelined,
      operationId: `list${def.plural ?? (/(s|sh|ch|x)$/.test(name) ? `${name}es` : `${name}s`)}`,
      ...described("list"),
      record: schemas.record,
      query: schemas.list,
      list: def.list,
      toWire: (row) => toWireOf(entity, row as RowOf<E>),
    });

  if (has("create"))
    register(
      app,
      route({
        pipelined,
        method: "post",
        ...described("create"),
        path: "/",
        tags: [tag],
        operationId: `create${name}`,
        request: jsonRequest(schemas.create, def.example),
        responses: { 201: record, 200: jsonContent(schemas.record, "The same create again: the existing record") },
        // A checked reference (e.g. `audio_id`) that is not the user's is a 404.
        errors: def.check || def.refusal ? [400, 404, 413, 415] : [400, 413, 415],
      }),
      async (c) => {
        const body = c.req.valid("json" as never) as Body<C> & { id?: string };
        const values = { ...def.toInsert(body), ...(body.id ? { id: body.id } : {}) } as ValuesOf<E>;
        const { row, created } = await write(
          requestScope(c),
          async (w) => {
            await guarded(w, c.var.user.id, body);
            return w.insert(entity, values);
          },
          transaction(body),
        ).catch(refused(body));
        return sendRecord(c, entity, row, created ? 201 : 200);
      },
    );

  if (has("get"))
    getRoute(app, { path: "/{id}", tag, pipelined, operationId: `get${name}`, entity, record: schemas.record });

  if (has("update"))
    register(
      app,
      route({
        pipelined,
        method: "put",
        ...described("update"),
        path: "/{id}",
        tags: [tag],
        operationId: `update${name}`,
        request: { ...byId, ...jsonRequest(schemas.update) },
        responses: { 200: record },
        errors: [400, 404, 413, 415],
      }),
      async (c) => {
        const { version, ...rest } = c.req.valid("json" as never) as Body<U> & { version?: number };
        const expected = expectedVersion(c, version);
        const row = await write(
          requestScope(c),
          async (w) => {
            await guarded(w, c.var.user.id, rest as Body<U>);
            return w.update(entity, c.req.param("id")!, expected, def.toUpdate(rest));
          },
          transaction(rest as Body<U>),
        ).catch(refused(rest as Body<U>));
        return sendRecord(c, entity, row);
      },
    );

  if (has("delete"))
    register(
      app,
      route({
        pipelined,
        method: "delete",
        ...described("delete"),
        path: "/{id}",
        tags: [tag],
        operationId: `delete${name}`,
        request: byId,
        responses: { 204: { description: "Deleted" } },
        errors: [400, 404],
      }),
      async (c) => {
        const expected = expectedVersion(c);
        await write(requestScope(c), (w) => w.remove(entity, c.req.param("id")!, expected));
        return c.body(null, 204);
      },
    );
}

// ---- a declared type without a route module of its own ----

/** What routes/index.ts needs of a declared type to mount it. */
export type Declared = Parameters<typeof declaredCrud>[0] & {
  table: SyncedTable & { createdAt: PgColumn };
  api: { path: string; tag: string };
  refs: Readonly<Record<string, string>>;
};

const listQuery = z.strictObject(pageQuery);
/** A table with a `tags` column lists by tag too (`?tag=`, paginateOwnNewest). */
const taggedListQuery = z.strictObject({ ...pageQuery, tag: tagSchema.optional() });

async function lockOwned(w: Writer, entity: EntityName, userId: string, id: string) {
  const t = entities[entity].table as SyncedTable;
  const [row] = await (w.db as any) // drizzle's builders don't narrow over a union of tables
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.userId, userId), eq(t.id, id)))
    .for("key share");
  if (!row) throw notFound(entities[entity].label);
}

/**
 * The routes of a declared record type that has no route module of its own
 * (protocol/declare.ts `api`; mounted by workers/routes/index.ts): the plain
 * CRUD shape at its path, listed newest first (by tag, if it has tags). A
 * `refs` field must name one of the user's records of that entity (404
 * otherwise), row-locked until the write commits so it can't be deleted meanwhile.
 */
export function plainCrud(record: Declared) {
  const app = createApi();
  const refs = Object.entries(record.refs).filter((ref): ref is [string, EntityName] => isEntity(ref[1]));
  const named = (body: object) =>
    refs.filter(([field]) => typeof (body as Record<string, unknown>)[field] === "string");
  crudRoutes(app, {
    ...declaredCrud(record, "tags" in record.table ? taggedListQuery : listQuery),
    pipelined: true,
    list: (db, userId, q) => paginateOwnNewest(db, record.table, record.table.createdAt, userId, q),
    ...(refs.length
      ? {
          check: {
            needed: (body: object) => named(body).length > 0,
            async run(w: Writer, userId: string, body: object) {
              for (const [field, entity] of named(body))
                await lockOwned(w, entity, userId, (body as Record<string, string>)[field]!);
            },
          },
        }
      : {}),
  });
  return app;
}
