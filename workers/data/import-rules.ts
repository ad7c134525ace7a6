/**
 * How an exported wire record becomes a row again (POST /api/import). The
 * default is generic — a column takes the wire field of its own name
 * (snake_case), timestamps parsed — so a new record type imports with no
 * entry here. The entries are the exceptions: server accounting that an
 * archive must not be able to write, fields the wire renames, and derived
 * values recomputed for the new owner.
 */
import { getTableColumns, sql, type SQLWrapper } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { loops, type TimelineEntry } from "../../db/schema";
import { entities, type EntityName } from "../protocol/registry";

export type Row = Record<string, unknown>;

/** Writes an upsert statement whose rows are `entity` records and logs them (in the import's transaction or batch). */
export type ImportLog = (entity: EntityName, statement: SQLWrapper) => Promise<void>;

export interface ImportContext {
  username: string;
  /** Where a reference to `id` in `table` points now (a loop's id may have changed). */
  idFor(table: PgTable, id: string): string;
}

export interface ImportRule {
  /** A rule the wire schema can't say; the reason the record is refused. */
  check?: (wire: Row) => string | undefined;
  /**
   * After every record file: e.g. recount what the imported records imply (`ids`: the archive's
   * records of the type, by the ids they have now). `log` writes and logs an upsert statement.
   */
  after?: (log: ImportLog, userId: string, ids: string[]) => Promise<void>;
  /** Not imported, and why (reported per type). */
  skip?: string;
  /** One per user, made at signup (settings): the imported values update it instead. */
  singleton?: true;
  /** Adjusts the generic row (column property names) built from `wire`. */
  adjust?: (row: Row, wire: Row, ctx: ImportContext) => void;
}

/**
 * Coins, purchases and achievements are the server's accounting: balance =
 * the ledger, credited once per earning event. An archive is a file the user
 * can edit, so importing them would mint coins; the new account keeps its own
 * (its welcome grant). They are in the export, for the record.
 */
const ACCOUNTING = "coins, purchases and achievements are the server's accounting; the new account keeps its own";

export const IMPORT_RULES: Partial<Record<EntityName, ImportRule>> = {
  wallet: { skip: ACCOUNTING },
  market_transaction: { skip: ACCOUNTING },
  market_purchase: { skip: ACCOUNTING },
  market_reward: { skip: ACCOUNTING },
  settings: {
    singleton: true,
    adjust: (row) => {
      // An accent needs its theme owned, and purchases are not imported.
      row.accent = null;
      for (const k of ["id", "version", "createdAt", "updatedAt"]) delete row[k];
    },
  },
  loop: {
    adjust: (row, _wire, ctx) => {
      // The owner is the importing user; counters are recounted from the imported likes and remixes.
      row.ownerUsername = ctx.username;
      row.playsCount = 0;
      row.likesCount = 0;
      row.remixesCount = 0;
      row.parentOwnerDeleted ??= false;
    },
    after: async (log, userId, ids) => {
      if (!ids.length) return;
      // Counters of the imported loops, from the imported likes and remixes (never part of `version`);
      // only where they differ, so the same archive again changes nothing.
      await log(
        "loop",
        sql`update loops l set likes_count = c.likes, remixes_count = c.remixes
            from (select x.id,
                    (select count(*) from loop_likes k where k.loop_id = x.id)::int as likes,
                    (select count(*) from loops r where r.parent_loop_id = x.id)::int as remixes
                  from loops x where x.user_id = ${userId} and x.id in ${ids}) c
            where l.id = c.id and (l.likes_count, l.remixes_count) is distinct from (c.likes, c.remixes)
            returning l.*`,
      );
    },
  },
  song: {
    // Timeline entries point at loops by id (jsonb, not a foreign key): they follow a loop's new id.
    adjust: (row, _wire, ctx) => {
      row.timeline = (row.timeline as TimelineEntry[]).map((e) => ({ ...e, loop_id: ctx.idFor(loops, e.loop_id) }));
    },
  },
  conversation: {
    adjust: (row, wire) => {
      // A run can't be in progress in an account that never ran it: it shows as failed (retry = send again).
      row.lastError = wire.error ?? null;
      if (row.status === "running") {
        row.status = "error";
        row.lastError = "Imported while a reply was being written; send your message again.";
      }
      row.runId = null;
      row.leaseUntil = null;
    },
  },
  tool_call: {
    // The model's own id for the call is not on the wire; an imported call answers to its record id.
    adjust: (row) => {
      row.callId = String(row.id);
    },
  },
  audio: {
    check: (wire) =>
      /^audio\/[a-z0-9.+-]+$/i.test(String(wire.content_type)) ? undefined : "content_type must be an audio type",
    adjust: (row) => {
      // Until its bytes arrive (and are sniffed again), the record's type is only what the archive says.
      row.etag = '"import"';
    },
  },
  market_item: {
    adjust: (row) => {
      // Only custom rewards are exported as records; they are always consumable and have no slug or effect.
      row.slug = null;
      row.effect = null;
      row.consumable = true;
    },
  },
};

/** A row (drizzle property names) from a wire record: each column takes the wire field of its name. */
export function wireToRow(entity: EntityName, wire: Row, userId: string, ctx: ImportContext): Row {
  const row: Row = {};
  for (const [prop, col] of Object.entries(getTableColumns(entities[entity].table)) as [string, PgColumn][]) {
    if (col.generated !== undefined || col.name === "user_id" || !(col.name in wire)) continue;
    const value = wire[col.name];
    row[prop] = col.columnType === "PgTimestamp" && typeof value === "string" ? new Date(value) : value;
  }
  row.userId = userId;
  IMPORT_RULES[entity]?.adjust?.(row, wire, ctx);
  return row;
}
