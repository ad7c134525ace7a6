import { z } from "zod";
import { defineRecord } from "./declare.ts";
import { focusSessions } from "../../db/schema.ts";
import { iso, pageQuery, recordBase, recordToWire } from "./common.ts";
import { focusEndsAt, focusRemainingS, LIMITS } from "./rules.ts";

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
  duration_s: z.number().int().min(LIMITS.focus.minDurationS).max(LIMITS.focus.maxDurationS),
  label: z.string().trim().max(LIMITS.focus.label).optional(),
});
export type StartFocus = z.infer<typeof startFocusSchema>;

export const focusHistoryQuery = z.strictObject({ ...pageQuery });

type FocusRow = typeof focusSessions.$inferSelect;

/** A row's clock for the shared arithmetic in ./rules (the web runs the same on wire records). */
const clockOf = (row: Pick<FocusRow, "durationS" | "startedAt" | "pausedAt" | "pausedTotalS" | "endedAt">) => ({
  durationS: row.durationS,
  startedAt: row.startedAt.getTime(),
  pausedAt: row.pausedAt?.getTime() ?? null,
  pausedTotalS: row.pausedTotalS,
  endedAt: row.endedAt?.getTime() ?? null,
});

/** Seconds left at `now`, from the stored timestamps (rules.ts focusRemainingS). */
export const remainingSeconds = (row: Parameters<typeof clockOf>[0], now: Date): number =>
  focusRemainingS(clockOf(row), now.getTime());

export function focusSessionToWire(row: FocusRow, now: Date = row.updatedAt): FocusSession {
  const endsAt = row.status === "active" ? new Date(focusEndsAt(clockOf(row))) : null;
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
  schema: focusSessionSchema,
  label: "Focus session",
});
