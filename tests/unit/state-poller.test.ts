// The assistant thread's state poller: backoff while unchanged, fast while
// running, paused while hidden, at once when shown or nudged. Fake timers.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  POLL_BACKOFF,
  POLL_BASE_MS,
  POLL_BUSY_MS,
  POLL_MAX_MS,
  startPoller,
} from "../../web/src/views/assistant/state-poller.ts";

type S = { status: string; v: number };

function harness(answers: Array<S | null | Error>) {
  let hidden = false;
  let onVis: (() => void) | undefined;
  const fetched: number[] = [];
  const states: S[] = [];
  const poller = startPoller<S>({
    fetch: async () => {
      fetched.push(Date.now());
      const a = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (a instanceof Error) throw a;
      return a;
    },
    onState: (s) => states.push(s),
    busy: (s) => s.status === "running",
    hidden: () => hidden,
    onVisibility: (fn) => {
      onVis = fn;
      return () => (onVis = undefined);
    },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  });
  const gaps = () => fetched.slice(1).map((t, i) => t - fetched[i]!);
  return {
    poller,
    fetched,
    states,
    gaps,
    setHidden(h: boolean) {
      hidden = h;
      onVis?.();
    },
  };
}

beforeEach(() => vi.useFakeTimers({ now: 0 }));
afterEach(() => vi.useRealTimers());

describe("state poller", () => {
  test("backs off by 1.5× while unchanged, up to the maximum", async () => {
    const h = harness([{ status: "idle", v: 1 }, null]);
    await vi.advanceTimersByTimeAsync(120_000);
    const gaps = h.gaps();
    expect(gaps[0]).toBe(POLL_BASE_MS);
    expect(gaps[1]).toBe(Math.round(POLL_BASE_MS * POLL_BACKOFF));
    expect(Math.max(...gaps)).toBe(POLL_MAX_MS);
    expect(h.states).toEqual([{ status: "idle", v: 1 }]);
    h.poller.stop();
  });

  test("polls fast while the assistant is running", async () => {
    const h = harness([{ status: "running", v: 1 }, { status: "running", v: 2 }, { status: "idle", v: 3 }, null]);
    await vi.advanceTimersByTimeAsync(POLL_BUSY_MS * 2 + 1);
    expect(h.gaps().slice(0, 2)).toEqual([POLL_BUSY_MS, POLL_BUSY_MS]);
    h.poller.stop();
  });

  test("paused while hidden; at once when shown again", async () => {
    const h = harness([null]);
    await vi.advanceTimersByTimeAsync(10);
    h.setHidden(true);
    const before = h.fetched.length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(h.fetched.length).toBe(before);
    h.setHidden(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.fetched.length).toBe(before + 1);
    h.poller.stop();
  });

  test("a nudge polls now and resets the backoff; errors back off too; stop stops", async () => {
    const h = harness([new Error("offline")]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.gaps().at(-1)).toBeGreaterThan(POLL_BASE_MS);
    const n = h.fetched.length;
    h.poller.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.fetched.length).toBe(n + 1);
    h.poller.stop();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(h.fetched.length).toBe(n + 1);
  });
});
