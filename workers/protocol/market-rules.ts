/**
 * The market's earn rules as plain values and pure functions, shared by the
 * Worker (which alone applies them, from server-side data) and the web app
 * (which only shows progress). No I/O in here.
 */

export const WELCOME_COINS = 100;
/** A purchase can be refunded within this window, once. */
export const REFUND_WINDOW_MS = 24 * 3600 * 1000;

export type AchievementId = "first_session" | "streak_3" | "focused_10h" | "deep_work" | "first_purchase";

export interface Achievement {
  id: AchievementId;
  name: string;
  description: string;
  bonus: number;
  /** Progress counts up to this. */
  target: number;
  unit: "sessions" | "days" | "minutes" | "purchases";
}

export const ACHIEVEMENTS: readonly Achievement[] = [
  {
    id: "first_session",
    name: "First focus",
    description: "Complete your first focus session.",
    bonus: 20,
    target: 1,
    unit: "sessions",
  },
  {
    id: "streak_3",
    name: "Three-day streak",
    description: "Complete a focus session on three days in a row (your own local days).",
    bonus: 50,
    target: 3,
    unit: "days",
  },
  {
    id: "focused_10h",
    name: "Ten focused hours",
    description: "Focus for ten hours in total.",
    bonus: 100,
    target: 600,
    unit: "minutes",
  },
  {
    id: "deep_work",
    name: "Deep work",
    description: "Complete one session with at least 60 focused minutes.",
    bonus: 30,
    target: 60,
    unit: "minutes",
  },
  {
    id: "first_purchase",
    name: "First purchase",
    description: "Buy something in the market.",
    bonus: 10,
    target: 1,
    unit: "purchases",
  },
];

export interface SessionTimes {
  durationS: number;
  startedAt: Date;
  endedAt: Date | null;
  pausedTotalS: number;
}

/** Focused seconds of an ended session: wall time minus paused time, never more than its duration. */
export function focusedSeconds(s: SessionTimes): number {
  if (!s.endedAt) return 0;
  const wall = (s.endedAt.getTime() - s.startedAt.getTime()) / 1000;
  return Math.max(0, Math.min(s.durationS, wall - s.pausedTotalS));
}

/** 1 coin per focused minute, rounded down. */
export const coinsForSession = (s: SessionTimes) => Math.floor(focusedSeconds(s) / 60);

export function isTimeZone(name: string): boolean {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone !== "";
  } catch {
    return false;
  }
}

/** The calendar day (YYYY-MM-DD) of `at` in `timeZone` (UTC when unknown). */
export function localDay(at: Date, timeZone: string | null): string {
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : "UTC";
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    at,
  );
}

const previousDay = (day: string) => {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
};

/**
 * Consecutive local days with a completed session, ending today (or
 * yesterday: a streak is still alive until today is over).
 */
export function currentStreak(completedAt: readonly Date[], now: Date, timeZone: string | null): number {
  const days = new Set(completedAt.map((d) => localDay(d, timeZone)));
  let day = localDay(now, timeZone);
  if (!days.has(day)) day = previousDay(day);
  let n = 0;
  while (days.has(day)) {
    n++;
    day = previousDay(day);
  }
  return n;
}

/** What the achievements are measured on; all of it read from the database. */
export interface MarketStats {
  completedSessions: number;
  focusedMinutes: number;
  longestSessionMinutes: number;
  /** End times of recently completed sessions (enough for the streak). */
  recentCompletions: Date[];
  purchases: number;
  timeZone: string | null;
  now: Date;
}

/** Progress towards each achievement, capped at its target. */
export function progressOf(a: Achievement, s: MarketStats): number {
  const raw =
    a.id === "first_session"
      ? s.completedSessions
      : a.id === "streak_3"
        ? currentStreak(s.recentCompletions, s.now, s.timeZone)
        : a.id === "focused_10h"
          ? s.focusedMinutes
          : a.id === "deep_work"
            ? s.longestSessionMinutes
            : s.purchases;
  return Math.min(a.target, Math.floor(raw));
}

/** Achievements met by these stats and not yet earned. */
export const newlyEarned = (s: MarketStats, earned: ReadonlySet<string>) =>
  ACHIEVEMENTS.filter((a) => !earned.has(a.id) && progressOf(a, s) >= a.target);
