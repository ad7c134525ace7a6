import { describe, expect, test } from "vitest";
import {
  ACHIEVEMENTS,
  coinsForSession,
  currentStreak,
  focusedSeconds,
  localDay,
  newlyEarned,
} from "../../workers/protocol/market-rules.ts";

const at = (iso: string) => new Date(iso);

describe("market earn rules", () => {
  test("1 coin per focused minute: paused time excluded, capped at the duration, rounded down", () => {
    const base = { durationS: 1500, startedAt: at("2026-01-01T10:00:00Z"), pausedTotalS: 0 };
    expect(coinsForSession({ ...base, endedAt: at("2026-01-01T10:25:00Z") })).toBe(25);
    expect(coinsForSession({ ...base, endedAt: at("2026-01-01T10:25:00Z"), pausedTotalS: 61 })).toBe(23);
    expect(coinsForSession({ ...base, endedAt: at("2026-01-01T12:00:00Z") })).toBe(25);
    expect(coinsForSession({ ...base, endedAt: at("2026-01-01T10:00:59Z") })).toBe(0);
    expect(focusedSeconds({ ...base, endedAt: null })).toBe(0);
    expect(focusedSeconds({ ...base, endedAt: at("2026-01-01T10:01:00Z"), pausedTotalS: 600 })).toBe(0);
  });

  test("days are the user's local days", () => {
    // 23:30 UTC is already the next day in Tokyo and still the same day in New York.
    expect(localDay(at("2026-03-10T23:30:00Z"), "Asia/Tokyo")).toBe("2026-03-11");
    expect(localDay(at("2026-03-10T23:30:00Z"), "America/New_York")).toBe("2026-03-10");
    expect(localDay(at("2026-03-10T23:30:00Z"), null)).toBe("2026-03-10");
    expect(localDay(at("2026-03-10T23:30:00Z"), "Not/AZone")).toBe("2026-03-10");
  });

  test("a streak counts consecutive local days ending today or yesterday", () => {
    const now = at("2026-03-12T02:00:00Z"); // 11:00 on the 12th in Tokyo, 22:00 on the 11th in New York
    const done = [at("2026-03-10T01:00:00Z"), at("2026-03-11T01:00:00Z"), at("2026-03-12T01:00:00Z")];
    expect(currentStreak(done, now, "Asia/Tokyo")).toBe(3); // the 10th, 11th and 12th
    // In New York the same moments fall on the 9th, 10th and 11th (today): also 3.
    expect(currentStreak(done, now, "America/New_York")).toBe(3);
    // Two sessions on one local day count once; a gap breaks the streak.
    const split = [at("2026-03-09T01:00:00Z"), at("2026-03-11T01:00:00Z"), at("2026-03-11T03:00:00Z")];
    expect(currentStreak(split, now, "Asia/Tokyo")).toBe(1);
    expect(currentStreak([], now, "UTC")).toBe(0);
  });

  test("achievements: at least four, each met once", () => {
    expect(ACHIEVEMENTS.length).toBeGreaterThanOrEqual(4);
    const stats = {
      completedSessions: 1,
      focusedMinutes: 30,
      longestSessionMinutes: 30,
      recentCompletions: [],
      purchases: 0,
      timeZone: null,
      now: new Date(),
    };
    expect(newlyEarned(stats, new Set()).map((a) => a.id)).toEqual(["first_session"]);
    expect(newlyEarned(stats, new Set(["first_session"]))).toEqual([]);
  });
});
