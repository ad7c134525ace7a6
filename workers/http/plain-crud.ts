/**
 * The routes of a declared record type that has no route module of its own
 * (protocol/declare.ts `api`; mounted by workers/routes/index.ts): the plain
 * CRUD shape at its path, listed newest first. A `refs` field must name one
 * of the user's records of that entity (404 otherwise), row-locked until the
 * write commits so it can't be deleted meanwhile.
 */
import { and, eq } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { paginateOwnNewest } from "../data/paginate";
import { notFound } from "../errors";
import { pageQuery } from "../protocol/common";
import type { SyncedTable } from "../protocol/record";
import { entities, type EntityName, isEntity } from "../protocol/registry";
import type { Writer } from "../sync/write";
import { crudRoutes, declaredCrud } from "./crud";
import { createApi } from "./openapi";

/** What routes/index.ts needs of a declared type to mount it. */
export type Declared = Parameters<typeof declaredCrud>[0] & {
  table: SyncedTable & { createdAt: PgColumn };
  api: { path: string; tag: string };
  refs: Readonly<Record<string, string>>;
};

const listQuery = z.strictObject(pageQuery);

async function lockOwned(w: Writer, entity: EntityName, userId: string, id: string) {
  const t = entities[entity].table as SyncedTable;
  const [row] = await (w.db as any) // drizzle's builders don't narrow over a union of tables
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.userId, userId), eq(t.id, id)))
    .for("key share");
  if (!row) throw notFound(entities[entity].label);
}

export function plainCrud(record: Declared) {
  const app = createApi();
  const refs = Object.entries(record.refs).filter((ref): ref is [string, EntityName] => isEntity(ref[1]));
  const named = (body: object) =>
    refs.filter(([field]) => typeof (body as Record<string, unknown>)[field] === "string");
  crudRoutes(app, {
    ...declaredCrud(record, listQuery),
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
