import { z } from "zod";
import { defineRecord } from "./record";
import { focusSessions } from "../../db/schema";
import { iso, pageQuery, recordBase, recordToWire } from "./common";

export const focusStatusSchema = z.enum(["active", "paused", "completed", "abandoned"]);

export const focusSessionSchema = z
  .object({
    ...recordBase,
    label: z.string().nullable(),
    duration_s: z.number(),
    status: focusStatusSchema,
    started_at: z.string(),
    paused_at: z.string().nullable(),
    paused_total_s: z.number(),
    ended_at: z.string().nullable(),
    /** When an active session runs out; null unless active. Clients count down to it. */
    ends_at: z.string().nullable(),
    /** Seconds left as of `updated_at` (exact for paused sessions). */
    remaining_s: z.number(),
  })
  .meta({ id: "FocusSession" });
export type FocusSession = z.infer<typeof focusSessionSchema>;

export const startFocusSchema = z.strictObject({
  id: z.uuid().optional(),
  duration_s: z.number().int().min(60).max(14_400),
  label: z.string().trim().max(200).optional(),
});
export type StartFocus = z.infer<typeof startFocusSchema>;

export const focusHistoryQuery = z.strictObject({ ...pageQuery });

type FocusRow = typeof focusSessions.$inferSelect;

/**
 * Remaining time is derived from stored timestamps, never from a timer:
 * duration − (elapsed wall time − time spent paused).
 */
export function remainingSeconds(
  row: Pick<FocusRow, "durationS" | "startedAt" | "pausedAt" | "pausedTotalS" | "endedAt">,
  now: Date,
): number {
  // While paused the clock stops at pausedAt; when ended, at endedAt.
  const end = row.endedAt ?? row.pausedAt ?? now;
  const focused = (end.getTime() - row.startedAt.getTime()) / 1000 - row.pausedTotalS;
  return Math.max(0, Math.round((row.durationS - focused) * 1000) / 1000);
}

export function focusSessionToWire(row: FocusRow, now: Date = row.updatedAt): FocusSession {
  const endsAt =
    row.status === "active" ? new Date(row.startedAt.getTime() + (row.durationS + row.pausedTotalS) * 1000) : null;
  return {
    ...recordToWire(row),
    label: row.label,
    duration_s: row.durationS,
    status: row.status,
    started_at: row.startedAt.toISOString(),
    paused_at: iso(row.pausedAt),
    paused_total_s: row.pausedTotalS,
    ended_at: iso(row.endedAt),
    ends_at: iso(endsAt),
    remaining_s: remainingSeconds(row, now),
  };
}

export const focusSessionRecord = defineRecord({
  entity: "focus_session",
  table: focusSessions,
  toWire: (row) => focusSessionToWire(row),
  label: "Focus session",
});
