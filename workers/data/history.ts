/**
 * Record history (db/migrations/0017_record_history.sql): a record's replaced
 * versions, the trash (deleted records not restored since), and restore, which
 * writes the old content as a NEW version in one database call — versioned,
 * logged, relayed to every device and itself undoable.
 */
import { getTableName, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { AppError, notFound } from "../errors";
import { isUuid, pageOffset } from "../protocol/common";
import type { PageQuery } from "./paginate";
import type { HistoryEntry, RestorableEntity } from "../protocol/history";
import { RESTORABLE } from "../protocol/history";
import { ErrorCode } from "../protocol/rules";
import { entities, rowFromRaw, type RowOf, toWire } from "../protocol/registry";
import { refusal } from "../sync/call";
import type { Scope } from "../sync/scope";

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

type Paged = PageQuery;

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
    limit ${q.page_size} offset ${pageOffset(q)}`);
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
    limit ${q.page_size} offset ${pageOffset(q)}`);
  return pageOf(result);
}

const conflict = <E extends RestorableEntity>(entity: E, current: RowOf<E> | undefined, restoring: RowOf<E>) =>
  new AppError(409, "version_conflict", "The record changed since this version; both are attached.", {
    details: { current: current ? toWire(entity, current) : null, restoring: toWire(entity, restoring) },
  });

type Raw = Record<string, unknown>;

/** 409 restore_blocked: a record the restored content points to is gone (a restore's or an undo's refusal). */
export const restoreBlocked = (verb: "restored" | "undone") =>
  new AppError(409, ErrorCode.restore_blocked, `Something this record pointed to is gone; it can't be ${verb}.`);

/**
 * Restores a history entry in ONE call (continuum_restore(),
 * db/migrations/0021_one_call_restore.sql): the entry, the record as it is
 * now, the check, the write and its change-log entry. Version-checked: by
 * default the record must still be the version that replaced the entry
 * (undo), or `expected` (If-Match: the version the user saw, e.g. when picking
 * an older version); a deleted record must still be gone. Idempotent: a
 * record that already has the entry's content is returned as it is
 * (`restored: false`) — a repeated or racing restore writes nothing more.
 */
export async function restoreEntry(scope: Scope, entryId: string, expected: number | undefined) {
  if (!isUuid(entryId)) throw notFound("History entry");
  let r: {
    entity: RestorableEntity;
    row?: Raw;
    restored?: boolean;
    conflict?: true;
    current?: Raw | null;
    restoring?: Raw;
  };
  try {
    r = await scope.call(
      sql`select continuum_restore(${scope.userId}, ${entryId}, ${expected ?? null}::integer,
          ${scope.idempotencyKey}) as r`,
    );
  } catch (err) {
    const code = refusal(err)?.code;
    if (code === "history_not_found") throw notFound("History entry");
    if (code === ErrorCode.restore_blocked) throw restoreBlocked("restored");
    throw err;
  }
  const entity = r.entity;
  const row = (raw: Raw) => rowFromRaw(entity, raw) as RowOf<typeof entity>;
  if (r.conflict) throw conflict(entity, r.current ? row(r.current) : undefined, row(r.restoring!));
  return { entity, row: row(r.row!), restored: r.restored === true };
}
