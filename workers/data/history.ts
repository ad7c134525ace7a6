/**
 * Record history (db/migrations/0017_record_history.sql): a record's replaced
 * versions, the trash (deleted records not restored since), and restore, which
 * writes the old content as a NEW version through the normal write path — so
 * it is versioned, logged, relayed to every device and itself undoable.
 */
import { getTableName, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { AppError, notFound, pgError, SQLSTATE } from "../errors";
import { isUuid } from "../protocol/common";
import type { HistoryEntry, RestorableEntity } from "../protocol/history";
import { RESTORABLE } from "../protocol/history";
import { ErrorCode } from "../protocol/rules";
import { entities } from "../protocol/registry";
import { hasValues, rowFromRaw, toWire, type RowOf, type ValuesOf } from "../protocol/row-mapping";
import { write, type WriteScope } from "../sync/write";

/** Columns a restore never writes: identity, and what the write path sets itself. */
const NOT_CONTENT = new Set(["id", "userId", "version", "createdAt", "updatedAt", "search"]);

export interface RawEntry {
  id: string;
  entity: RestorableEntity;
  record_id: string;
  op: "update" | "delete";
  version: number;
  data: Record<string, unknown>;
  created_at: string | Date;
}

/** A `record_history` row as the API's entry (the record in its wire shape). */
export function toEntry(raw: RawEntry): HistoryEntry {
  return {
    id: raw.id,
    entity: raw.entity,
    record_id: raw.record_id,
    op: raw.op,
    version: Number(raw.version),
    at: new Date(raw.created_at).toISOString(),
    record: toWire(raw.entity, rowFromRaw(raw.entity, raw.data) as never),
  };
}

const tableSql = (entity: RestorableEntity) => sql.identifier(getTableName(entities[entity].table));

/** The record `h` describes as it is now (jsonb, or null when it does not exist). */
const currentOf = (h: SQL): SQL =>
  sql`coalesce(${sql.join(
    RESTORABLE.map(
      (e) =>
        sql`(select to_jsonb(t) - 'search' from ${tableSql(e)} t where ${h}.entity = ${e} and t.user_id = ${h}.user_id and t.id = ${h}.record_id)`,
    ),
    sql`, `,
  )})`;

type Paged = { page: number; page_size: number };

/** A page of entries and the total its rows carry (`count(*) over ()`). */
const pageOf = (result: { rows: unknown[] }) => {
  const rows = result.rows as (RawEntry & { total: number })[];
  return { items: rows, total: Number(rows[0]?.total ?? 0) };
};

/** A record's replaced versions, newest first (raw: `toEntry` makes each an entry). */
export async function listHistory(db: Db, userId: string, q: Paged & { entity: RestorableEntity; id: string }) {
  const result = await db.execute(sql`
    select h.*, count(*) over () as total from record_history h
    where h.user_id = ${userId} and h.entity = ${q.entity} and h.record_id = ${q.id}
    order by h.created_at desc, h.version desc
    limit ${q.page_size} offset ${(q.page - 1) * q.page_size}`);
  return pageOf(result);
}

/** Deleted records that are still gone: each record's latest deletion, newest first (raw, as listHistory). */
export async function listTrash(db: Db, userId: string, q: Paged) {
  const result = await db.execute(sql`
    select h.*, count(*) over () as total from (
      select distinct on (entity, record_id) * from record_history
      where user_id = ${userId} and op = 'delete'
      order by entity, record_id, created_at desc) h
    where ${currentOf(sql`h`)} is null
    order by h.created_at desc
    limit ${q.page_size} offset ${(q.page - 1) * q.page_size}`);
  return pageOf(result);
}

const contentOf = <E extends RestorableEntity>(row: RowOf<E>) =>
  Object.fromEntries(Object.entries(row as object).filter(([k]) => !NOT_CONTENT.has(k))) as ValuesOf<E>;

const conflict = <E extends RestorableEntity>(entity: E, current: RowOf<E> | undefined, restoring: RowOf<E>) =>
  new AppError(409, "version_conflict", "The record changed since this version; both are attached.", {
    details: { current: current ? toWire(entity, current) : null, restoring: toWire(entity, restoring) },
  });

/**
 * Restores a history entry. Version-checked: by default the record must still
 * be the version that replaced the entry (undo), or `expected` (If-Match: the
 * version the user saw, e.g. when picking an older version); a deleted record
 * must still be gone. Idempotent: a record that already has the entry's
 * content is returned as it is (`restored: false`) — a repeated or racing
 * restore writes nothing more.
 */
export async function restoreEntry(scope: WriteScope, entryId: string, expected: number | undefined) {
  if (!isUuid(entryId)) throw notFound("History entry");
  // One query: the entry, the record as it is now, and the record's highest version in history.
  const found = await scope.db.execute(sql`
    select h.*, ${currentOf(sql`h`)} as current,
      (select max(m.version) from record_history m
        where m.user_id = h.user_id and m.entity = h.entity and m.record_id = h.record_id) as top
    from record_history h where h.id = ${entryId} and h.user_id = ${scope.userId}`);
  const raw = found.rows[0] as unknown as
    (RawEntry & { current: Record<string, unknown> | null; top: number }) | undefined;
  if (!raw) throw notFound("History entry");
  const entity = raw.entity;
  const old = rowFromRaw(entity, raw.data) as RowOf<typeof entity>;
  const content = contentOf(old);
  const read = async () => {
    const again = await scope.db.execute(
      sql`select to_jsonb(t) - 'search' as row from ${tableSql(entity)} t where t.user_id = ${scope.userId} and t.id = ${raw.record_id}`,
    );
    const r = (again.rows[0] as { row: Record<string, unknown> } | undefined)?.row;
    return r ? (rowFromRaw(entity, r) as RowOf<typeof entity>) : undefined;
  };
  const settle = async (err: unknown) => {
    // Lost a race (or the record moved on): a record now holding this content was restored by the winner.
    const now = await read();
    if (now && hasValues(now, content)) return { entity, row: now, restored: false };
    if (err instanceof AppError && err.status === 409) throw conflict(entity, now, old);
    if (pgError(err)?.sqlstate === SQLSTATE.foreignKeyViolation)
      throw new AppError(
        409,
        ErrorCode.restore_blocked,
        "Something this record pointed to is gone; it can't be restored.",
      );
    throw err;
  };
  const current = raw.current ? (rowFromRaw(entity, raw.current) as RowOf<typeof entity>) : undefined;
  if (current && hasValues(current, content)) return { entity, row: current, restored: false };
  if (raw.op === "update") {
    const want = expected ?? Number(raw.version) + 1;
    if (!current || current.version !== want) throw conflict(entity, current, old);
    try {
      const row = await write(scope, (w) => w.update(entity, raw.record_id, want, content));
      return { entity, row: row as RowOf<typeof entity>, restored: true };
    } catch (err) {
      return settle(err);
    }
  }
  if (current) throw conflict(entity, current, old);
  // Above every version the record ever had, its last tombstone included (tombstone = deleted version + 1).
  const values = { ...content, id: raw.record_id, createdAt: old.createdAt, version: Number(raw.top) + 2 };
  try {
    const { row, created } = await write(scope, (w) => w.insert(entity, values as ValuesOf<typeof entity>));
    return { entity, row: row as RowOf<typeof entity>, restored: created };
  } catch (err) {
    return settle(err);
  }
}
