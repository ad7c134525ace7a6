import { z } from "zod";

/** Opaque to clients; strictly increasing per user. */
export const cursorSchema = z.string().regex(/^\d{1,18}$/, "not a cursor");

export const changeSchema = z
  .object({
    cursor: z.string(),
    entity: z.string(),
    id: z.string(),
    op: z.enum(["upsert", "delete"]),
    version: z.number(),
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: "Change" });
export type Change = z.infer<typeof changeSchema>;

/**
 * A walk token: `<start ms>.<first cursor>` — when a multi-page pull of the
 * feed began (the database's clock) and from where. Handed out with every
 * page that has more and sent back with the next, it lets a walk that began
 * above the floor finish even if the hourly compaction raises the floor
 * meanwhile (workers/routes/sync.ts). Clients without it behave as before.
 */
export const walkSchema = z.string().regex(/^\d{1,15}\.\d{1,18}$/, "not a walk token");

export const changesQuery = z.strictObject({
  since: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  walk: walkSchema.optional(),
});

export const changesResponseSchema = z.object({
  changes: z.array(changeSchema),
  cursor: z.string(),
  has_more: z.boolean(),
  /** With `has_more`: send it back as `walk` with the next page's `since`. */
  walk: z.string().optional(),
});
export type ChangesResponse = z.infer<typeof changesResponseSchema>;

/** Server → client WebSocket messages. */
export type ServerMessage =
  | { type: "hello"; cursor: string }
  | { type: "changes"; prev: string; cursor: string; changes: Change[] }
  | { type: "pong" };

/** Client → server; ping is answered by the DO's auto-response without waking it. */
export const PING = JSON.stringify({ type: "ping" });
export const PONG = JSON.stringify({ type: "pong" });

export const snapshotQuery = z.strictObject({
  before: cursorSchema.optional(),
  /** Exclusive lower bound: a page of one range (`ranges` below); absent = down to the oldest entry. */
  after: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  /** Also name the rest of the walk (below `next`) as ranges of about this many entries each (≤ 64 ranges). */
  split: z.coerce.number().int().min(1).max(100_000).optional(),
});

/** Part of a snapshot walk that can be paged on its own (`before`/`after`), concurrently with the others. */
export const snapshotRangeSchema = z
  .object({
    before: z.string(),
    /** null: down to the oldest entry. */
    after: z.union([z.string(), z.null()]),
  })
  .meta({ id: "SnapshotRange" });
export type SnapshotRange = z.infer<typeof snapshotRangeSchema>;

export const snapshotResponseSchema = z.object({
  /** Newest first: keep the first entry per (entity, id), a tombstone included. */
  changes: z.array(changeSchema),
  /** The feed position this walk is consistent with: pull `/changes?since=` it once the walk is done. */
  cursor: z.string(),
  /** `before` for the next page; null: the walk is complete. */
  next: z.union([z.string(), z.null()]),
  /**
   * The newest tombstone the compaction has deleted (with its record's older entries). A walk that
   * reads ranges out of order and sees it change between its first and last page may hold a record
   * whose delete left meanwhile: it walks again.
   */
  floor: z.string().optional(),
  /**
   * With `split`: everything below `next`, cut into disjoint ranges (newest first) that together
   * cover it. A client may page them concurrently instead of following `next`; merged, the newest
   * entry per record (highest cursor) wins.
   */
  ranges: z.array(snapshotRangeSchema).optional(),
});
export type SnapshotResponse = z.infer<typeof snapshotResponseSchema>;
