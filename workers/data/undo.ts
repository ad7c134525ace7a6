/**
 * Undo (issue 24): a change of a restorable record, named as the change log
 * names it — (entity, id, the version it produced; a delete's is its
 * tombstone's) — is undone in ONE database call (continuum_undo(),
 * db/migrations/0028_undo.sql): an edit or a delete by restoring what it
 * replaced, a creation by deleting what it made. Both are version-checked (the
 * record must still be what the change left: otherwise 409 with both versions)
 * and idempotent (undoing twice writes once).
 */
import { sql } from "drizzle-orm";
import { AppError } from "../errors";
import type { RestorableEntity } from "../protocol/history";
import { ErrorCode } from "../protocol/rules";
import { rowFromRaw, toWire, type RowOf } from "../protocol/registry";
import { refusal } from "../sync/call";
import type { Writer } from "../sync/write";
import { restoreBlocked } from "./history";

type Raw = Record<string, unknown>;

export interface ChangeRef {
  entity: RestorableEntity;
  id: string;
  /** The version the change produced (a delete: the deleted version + 1, as the change log and the feed carry it). */
  version: number;
}

interface RawUndo {
  entity: RestorableEntity;
  id: string;
  row?: Raw | null;
  changed?: boolean;
  conflict?: true;
  current?: Raw | null;
  restoring?: Raw | null;
  undid?: { entity: RestorableEntity; id: string; op: "upsert" | "delete"; version: number; at: string };
}

export interface UndoOutcome {
  entity: RestorableEntity;
  id: string;
  /** The record after the undo, in its wire shape; null when the undo deleted it (it undid a creation). */
  record: Record<string, unknown> | null;
  /** False when the change was already undone: nothing written. */
  changed: boolean;
  /** The change that was undone (undo_last_action). */
  undid?: RawUndo["undid"];
}

const wire = (entity: RestorableEntity, raw: Raw) =>
  toWire(entity, rowFromRaw(entity, raw) as RowOf<typeof entity>) as Record<string, unknown>;

/** 409 version_conflict with both versions (the current record and what the undo would have written). */
export const undoConflict = (r: Pick<RawUndo, "entity" | "current" | "restoring">) =>
  new AppError(409, ErrorCode.version_conflict, "The record changed since; both versions are attached.", {
    details: {
      current: r.current ? wire(r.entity, r.current) : null,
      restoring: r.restoring ? wire(r.entity, r.restoring) : null,
    },
  });

/** An undo function's refusal (SQLSTATE CNAPP) as the API's error; anything else as it was. */
export function undoRefusal(err: unknown): unknown {
  const code = refusal(err)?.code;
  if (code === ErrorCode.restore_blocked) return restoreBlocked("undone");
  if (code === ErrorCode.nothing_to_undo)
    return new AppError(
      404,
      ErrorCode.nothing_to_undo,
      "There is no change of a todo, inbox item or reference to undo.",
    );
  return err;
}

function outcome(r: RawUndo): UndoOutcome {
  if (r.conflict) throw undoConflict(r);
  return {
    entity: r.entity,
    id: r.id,
    record: r.row ? wire(r.entity, r.row) : null,
    changed: r.changed === true,
    ...(r.undid ? { undid: { ...r.undid, at: new Date(r.undid.at).toISOString() } } : {}),
  };
}

async function run(statement: Promise<RawUndo>): Promise<UndoOutcome> {
  let r: RawUndo;
  try {
    r = await statement;
  } catch (err) {
    throw undoRefusal(err);
  }
  return outcome(r);
}

/** Undoes one change (see the module comment). */
export const undoChange = (w: Writer, userId: string, change: ChangeRef) =>
  run(
    w.call<RawUndo>(
      sql`select continuum_undo(${userId}, ${change.entity}, ${change.id}, ${change.version}::integer,
        ${w.idempotencyKey}) as r`,
    ),
  );

/** Undoes the user's latest change of a todo, inbox item or reference; twice undoes the undo. */
export const undoLast = (w: Writer, userId: string) =>
  run(w.call<RawUndo>(sql`select continuum_undo_last(${userId}, ${w.idempotencyKey}) as r`));

export interface RecentChange {
  entity: RestorableEntity;
  id: string;
  /** What the change did: created (or re-created by a restore), edited, deleted. */
  kind: "created" | "edited" | "deleted";
  version: number;
  at: string;
  /** The record's title then (a deleted one's: as it was deleted). */
  title: string | null;
}

/** A change as continuum_recent_changes() returns it. */
export type RawRecentChange = Raw;

export const recentChangeOf = (c: RawRecentChange): RecentChange => ({
  entity: c.entity as RestorableEntity,
  id: String(c.record_id),
  kind: c.op === "delete" ? "deleted" : c.replaced ? "edited" : "created",
  version: Number(c.version),
  at: new Date(String(c.created_at)).toISOString(),
  title: typeof (c.data as Raw | null)?.title === "string" ? ((c.data as Raw).title as string) : null,
});

/** The user's latest changes of restorable records, newest first (list_recent_changes). */
export async function recentChanges(db: Writer["db"], userId: string, limit: number): Promise<RecentChange[]> {
  const result = await db.execute(sql`select continuum_recent_changes(${userId}, ${limit}::integer) as r`);
  return (result.rows[0] as { r: RawRecentChange[] }).r.map(recentChangeOf);
}
