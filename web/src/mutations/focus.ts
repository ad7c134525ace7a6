// Focus sessions: start, pause, resume, complete, abandon. The server derives
// remaining time from timestamps; the optimistic records here do the same.
import { focusEndsAt, focusRemainingS } from "@protocol/rules.ts";
import type { FocusSession } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { createRecord, iso, newRecord, path, updateRecord } from "./record.ts";

const ms = (t: string | null) => (t === null ? null : Date.parse(t));

/** A wire session's clock for the arithmetic the server uses too (rules.ts). */
const clockOf = (s: FocusSession) => ({
  durationS: s.duration_s,
  startedAt: Date.parse(s.started_at),
  pausedAt: ms(s.paused_at),
  pausedTotalS: s.paused_total_s,
  endedAt: ms(s.ended_at),
});

/** Seconds left at `serverNow` (the server clock estimate), from the session's timestamps. */
export const remainingNow = (s: FocusSession, serverNow: number): number => focusRemainingS(clockOf(s), serverNow);

export const isRunning = (s: FocusSession) => s.status === "active" || s.status === "paused";
export const newestFirst = (a: FocusSession, b: FocusSession) => b.started_at.localeCompare(a.started_at);

/** The session running now (the latest, should two devices have started one), or undefined. */
export const runningSession = (sessions: readonly FocusSession[]) => sessions.filter(isRunning).sort(newestFirst)[0];

export function startFocus(store: SyncStore, duration_s: number, label: string) {
  const now = store.serverNow();
  const record = newRecord(
    store,
    "focus_session",
    {
      label: label || null,
      duration_s,
      status: "active",
      started_at: iso(now),
      paused_at: null,
      paused_total_s: 0,
      ended_at: null,
      ends_at: iso(focusEndsAt({ durationS: duration_s, startedAt: now, pausedTotalS: 0 })),
      remaining_s: duration_s,
    },
    now,
  );
  const body = label ? { duration_s, label } : { duration_s };
  return createRecord(store, "focus_session", {
    path: "/api/focus/sessions",
    record,
    body,
    label: "Start focus session",
  });
}

export function pauseFocus(store: SyncStore, s: FocusSession) {
  const now = store.serverNow();
  return focusAction(store, s, "/api/focus/pause", "Pause focus session", now, {
    status: "paused",
    paused_at: iso(now),
    ends_at: null,
    remaining_s: remainingNow(s, now),
  });
}

export function resumeFocus(store: SyncStore, s: FocusSession) {
  const now = store.serverNow();
  const pausedFor = s.paused_at ? Math.max(0, (now - Date.parse(s.paused_at)) / 1000) : 0;
  const paused_total_s = s.paused_total_s + pausedFor;
  return focusAction(store, s, "/api/focus/resume", "Resume focus session", now, {
    status: "active",
    paused_at: null,
    paused_total_s,
    ends_at: iso(focusEndsAt({ ...clockOf(s), pausedTotalS: paused_total_s })),
  });
}

export function endFocus(
  store: SyncStore,
  s: FocusSession,
  outcome: "complete" | "abandon",
  opts: { key?: string } = {},
) {
  const now = store.serverNow();
  const label = outcome === "complete" ? "Complete focus session" : "Abandon focus session";
  return focusAction(
    store,
    s,
    path`/api/focus/sessions/${s.id}/${outcome}`,
    label,
    now,
    {
      status: outcome === "complete" ? "completed" : "abandoned",
      ended_at: iso(now),
      ends_at: null,
      remaining_s: remainingNow(s, now),
    },
    opts.key,
  );
}

/** The focus actions are POSTs without a body; the server decides from the session's state. */
function focusAction(
  store: SyncStore,
  s: FocusSession,
  actionPath: string,
  label: string,
  now: number,
  patch: Partial<FocusSession>,
  key?: string,
) {
  const next: FocusSession = { ...s, ...patch, version: s.version + 1, updated_at: iso(now) };
  return updateRecord(store, "focus_session", {
    method: "POST",
    path: actionPath,
    current: s,
    next,
    guarded: false,
    label,
    key,
  });
}
