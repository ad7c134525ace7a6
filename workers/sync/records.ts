/**
 * Generic data access for user-owned synced records: ownership (another
 * user's id is simply "not found"), version checks and the +1 version bump.
 * Used inside `commit()` by every domain router.
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Context } from "hono";
import type { Db, Tx } from "../../db/client";
import type { AppEnv } from "../env";
import { AppError, notFound } from "../errors";
import { entities, type EntityName } from "./registry";

type Synced = PgTable & { id: PgColumn; userId: PgColumn; version: PgColumn; updatedAt: PgColumn };
type Row<E extends EntityName> = (typeof entities)[E]["table"]["$inferSelect"];
type Values<E extends EntityName> = Partial<(typeof entities)[E]["table"]["$inferInsert"]>;
// Drizzle's generic builders don't narrow over a union of tables; the casts stay in this file.
type Loose = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tableOf = (entity: EntityName) => entities[entity].table as Synced;
const owned = (t: Synced, userId: string, id: string): SQL => and(eq(t.id, id), eq(t.userId, userId))!;
const LABEL: Record<EntityName, string> = {
  settings: "Settings",
  inbox_item: "Inbox item",
  focus_session: "Focus session",
  audio: "Audio",
  focus_library: "Focus library",
  focus_track: "Track",
  reference: "Reference",
};

/**
 * The precondition of an update/delete: `If-Match: "<version>"` or `version`
 * in the body. Undefined = no precondition (last write wins).
 */
export function expectedVersion(c: Context<AppEnv>, bodyVersion?: number): number | undefined {
  const header = c.req.header("if-match");
  if (header === undefined || header.trim() === "*") return bodyVersion;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m) throw new AppError(400, "invalid_if_match", 'If-Match must be a version like "3".');
  return Number(m[1]);
}

export function assertId(entity: EntityName, id: string): void {
  if (!UUID.test(id)) throw notFound(LABEL[entity]);
}

export async function findOwned<E extends EntityName>(db: Db | Tx, entity: E, userId: string, id: string): Promise<Row<E>> {
  assertId(entity, id);
  const t = tableOf(entity);
  const [row] = await (db as Loose).select().from(t).where(owned(t, userId, id)).limit(1);
  if (!row) throw notFound(LABEL[entity]);
  return row;
}

const conflict = (entity: EntityName, current: unknown) =>
  new AppError(409, "version_conflict", "This record was changed elsewhere; the current version is attached.", {
    details: { current: (entities[entity].toWire as (r: unknown) => unknown)(current) },
  });

/**
 * Insert a record. A client-supplied `id` that already exists with the same
 * content returns the existing record (`created: false`) — a retried create
 * never duplicates; with other content it is 409.
 */
export async function insertOwned<E extends EntityName>(
  tx: Tx,
  entity: E,
  userId: string,
  values: Values<E>,
): Promise<{ row: Row<E>; created: boolean }> {
  const t = tableOf(entity);
  const [row] = await (tx as Loose)
    .insert(t)
    .values({ ...values, id: (values as { id?: string }).id ?? crypto.randomUUID(), userId })
    .onConflictDoNothing({ target: t.id })
    .returning();
  if (row) return { row, created: true };
  const [existing] = await (tx as Loose).select().from(t).where(eq(t.id, (values as { id: string }).id)).limit(1);
  const same =
    existing &&
    existing.userId === userId &&
    Object.entries(values).every(([k, v]) => JSON.stringify(existing[k]) === JSON.stringify(v));
  if (!same) throw new AppError(409, "id_conflict", "A different record already uses this id.");
  return { row: existing, created: false };
}

/** Update with the version check; bumps `version` and `updated_at`. */
export async function updateOwned<E extends EntityName>(
  tx: Tx,
  entity: E,
  userId: string,
  id: string,
  expected: number | undefined,
  values: Values<E>,
): Promise<Row<E>> {
  assertId(entity, id);
  const t = tableOf(entity);
  const where = expected === undefined ? owned(t, userId, id) : and(owned(t, userId, id), eq(t.version, expected));
  const [row] = await (tx as Loose)
    .update(t)
    .set({ ...values, version: sql`${t.version} + 1`, updatedAt: sql`now()` })
    .where(where)
    .returning();
  if (row) return row;
  throw conflict(entity, await findOwned(tx, entity, userId, id)); // 404 when it isn't there (or isn't yours)
}

/** Delete with the version check; returns the deleted row. */
export async function deleteOwned<E extends EntityName>(
  tx: Tx,
  entity: E,
  userId: string,
  id: string,
  expected: number | undefined,
): Promise<Row<E>> {
  assertId(entity, id);
  const t = tableOf(entity);
  const where = expected === undefined ? owned(t, userId, id) : and(owned(t, userId, id), eq(t.version, expected));
  const [row] = await (tx as Loose).delete(t).where(where).returning();
  if (row) return row;
  throw conflict(entity, await findOwned(tx, entity, userId, id));
}
