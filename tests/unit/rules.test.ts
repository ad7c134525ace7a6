// The shared rules module (workers/protocol/rules.ts): one copy of the values
// and arithmetic the Worker and the web app both rely on.
import { describe, expect, test } from "vitest";
import {
  ErrorCode,
  focusEndsAt,
  focusRemainingS,
  LIMITS,
  normalizeTags,
  SETTINGS_DEFAULTS,
} from "../../workers/protocol/rules.ts";
import { remainingNow } from "../../web/src/mutations/focus.ts";
import { withDefaults } from "../../web/src/mutations/settings.ts";
import { DEFAULT_PREFS } from "../../web/src/sync/transport.ts";
import { parseCapture, parseTagList } from "../../web/src/ui/capture.ts";
import type { FocusSession } from "../../web/src/api/types.ts";

const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => T0 + s * 1000;

describe("focus arithmetic", () => {
  const clock = { durationS: 1500, startedAt: T0, pausedAt: null, pausedTotalS: 0, endedAt: null };

  test("an active session counts down with wall time, minus time spent paused", () => {
    expect(focusRemainingS(clock, at(600))).toBe(900);
    expect(focusRemainingS({ ...clock, pausedTotalS: 120 }, at(600))).toBe(1020);
    expect(focusEndsAt({ ...clock, pausedTotalS: 120 })).toBe(at(1620));
  });

  test("a paused session's clock stands at paused_at, an ended one's at ended_at; never below zero", () => {
    expect(focusRemainingS({ ...clock, pausedAt: at(300) }, at(9_000))).toBe(1200);
    expect(focusRemainingS({ ...clock, endedAt: at(1000) }, at(9_000))).toBe(500);
    expect(focusRemainingS(clock, at(9_000))).toBe(0);
  });

  test("the web reads a wire session through the same arithmetic the server wrote it with", () => {
    const wire: FocusSession = {
      id: "f1",
      version: 2,
      created_at: new Date(T0).toISOString(),
      updated_at: new Date(at(300)).toISOString(),
      label: null,
      duration_s: 1500,
      status: "paused",
      started_at: new Date(T0).toISOString(),
      paused_at: new Date(at(300)).toISOString(),
      paused_total_s: 0,
      ended_at: null,
      ends_at: null,
      remaining_s: 1200,
    };
    expect(remainingNow(wire, at(5_000))).toBe(wire.remaining_s);
    const active = { ...wire, status: "active" as const, paused_at: null, ends_at: new Date(at(1500)).toISOString() };
    expect(remainingNow(active, at(1000))).toBe(500);
  });
});

describe("values the web takes from the server's module", () => {
  test("settings defaults: the placeholder before the first sync and the transport's prefs", () => {
    const s = withDefaults(undefined);
    expect({ theme: s.theme, accessibility: s.accessibility, ui: s.ui, sync: s.sync, accent: s.accent }).toEqual(
      SETTINGS_DEFAULTS,
    );
    expect(DEFAULT_PREFS).toEqual(SETTINGS_DEFAULTS.sync);
  });

  test("tags: normalised as the server stores them, capped at the server's limits", () => {
    expect(normalizeTags([" Home", "home", "URGENT "])).toEqual(["home", "urgent"]);
    const many = Array.from({ length: LIMITS.tagsPerRecord + 5 }, (_, i) => `#t${i}`).join(" ");
    expect(parseTagList(many)).toHaveLength(LIMITS.tagsPerRecord);
    expect(parseCapture(`x ${many}`).tags).toHaveLength(LIMITS.tagsPerRecord);
    expect(parseTagList("x".repeat(LIMITS.tag + 10))[0]).toHaveLength(LIMITS.tag);
    expect(parseCapture("Call Sam #Home #urgent. issue #123 C#")).toEqual({
      title: "Call Sam issue #123 C#",
      tags: ["home", "urgent"],
    });
  });
});

describe("error codes", () => {
  // Codes still written as string literals (route handlers) must be known too,
  // so the client's ErrorCode comparisons can't drift from what the server sends.
  test("every code the Worker source throws is in ErrorCode", () => {
    const sources = import.meta.glob<string>(["../../workers/**/*.ts", "!**/*.d.ts"], {
      query: "?raw",
      import: "default",
      eager: true,
    });
    const thrown = new Set<string>();
    for (const src of Object.values(sources)) {
      for (const m of src.matchAll(/(?:AppError\(\s*\d+,\s*|errorBody\()"([a-z_]+)"/g)) thrown.add(m[1]!);
      for (const m of src.matchAll(/ErrorCode\.([a-z_]+)/g)) thrown.add(m[1]!);
    }
    expect(thrown.size).toBeGreaterThan(20);
    const known = new Set<string>(Object.values(ErrorCode));
    expect([...thrown].filter((c) => !known.has(c))).toEqual([]);
    expect(Object.entries(ErrorCode).filter(([k, v]) => k !== v)).toEqual([]);
  });
});
