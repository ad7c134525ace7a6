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

export const changesQuery = z.strictObject({
  since: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

export const changesResponseSchema = z.object({
  changes: z.array(changeSchema),
  cursor: z.string(),
  has_more: z.boolean(),
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
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const snapshotResponseSchema = z.object({
  /** Newest first: keep the first entry per (entity, id), a tombstone included. */
  changes: z.array(changeSchema),
  /** The feed position this walk is consistent with: pull `/changes?since=` it once the walk is done. */
  cursor: z.string(),
  /** `before` for the next page; null: the walk is complete. */
  next: z.union([z.string(), z.null()]),
});
export type SnapshotResponse = z.infer<typeof snapshotResponseSchema>;
