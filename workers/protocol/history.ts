/**
 * Record history (issue 24): the versions a write replaced and the records a
 * delete removed, restorable for HISTORY_RETENTION_DAYS (30 by default).
 *
 * Restorable: todos, inbox items, references — records a person edits and
 * deletes by hand (or an approved assistant call does). Not: studio counters
 * (derived from likes/plays), market ledger rows, purchases, wallets (append-only
 * facts: undoing one would forge money), focus sessions (their timer state is
 * a fact about time; an assistant's started session is undone by abandoning
 * it), settings (one row, no delete), assistant messages/tool calls (a log).
 */
import { z } from "zod";
import { pageQuery } from "./common.ts";

export const RESTORABLE = ["todo", "inbox_item", "reference"] as const;
export type RestorableEntity = (typeof RESTORABLE)[number];

export const historyEntrySchema = z
  .object({
    id: z.uuid(),
    entity: z.enum(RESTORABLE),
    record_id: z.uuid(),
    /** What replaced this version: an update, or the record's deletion. */
    op: z.enum(["update", "delete"]),
    /** The version `record` had. */
    version: z.number().int().min(1),
    /** When it was replaced or deleted. */
    at: z.string(),
    /** The record as it was (its wire shape). */
    record: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "HistoryEntry" });
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const historyQuery = z.object({
  entity: z.enum(RESTORABLE),
  id: z.uuid(),
  ...pageQuery,
});

export const trashQuery = z.object({ ...pageQuery });

export const restoreResultSchema = z
  .object({
    entity: z.enum(RESTORABLE),
    /** The record as it is now, after the restore (or as an earlier restore left it). */
    record: z.record(z.string(), z.unknown()),
    /** False when the record already had this content (a repeated restore): nothing was written. */
    restored: z.boolean(),
  })
  .meta({ id: "RestoreResult" });

/** A change to undo, named as the change feed names it. */
export const undoChangeSchema = z
  .strictObject({
    entity: z.enum(RESTORABLE),
    id: z.uuid(),
    /** The version the change produced; for a delete, the tombstone's (the deleted version + 1), as in the feed. */
    version: z.number().int().min(1).max(2_147_483_647),
  })
  .meta({ id: "UndoChange" });
export type UndoChange = z.infer<typeof undoChangeSchema>;

export const undoResultSchema = z
  .object({
    entity: z.enum(RESTORABLE),
    id: z.uuid(),
    /** The record after the undo; null when the undo deleted it (it undid a creation). */
    record: z.union([z.record(z.string(), z.unknown()), z.null()]),
    /** False when the change was already undone: nothing was written. */
    changed: z.boolean(),
  })
  .meta({ id: "UndoResult" });
export type UndoResult = z.infer<typeof undoResultSchema>;
