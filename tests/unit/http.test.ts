// web/src/api/http.ts: the watchdog, error mapping and Retry-After parsing the sync client relies on.
import { afterEach, describe, expect, test, vi } from "vitest";
import {
  DEFAULT_TIMEOUT_MS,
  HttpError,
  httpError,
  NetworkError,
  parseRetryAfter,
  send,
  type FetchFn,
} from "../../web/src/api/http.ts";
import { compareCursor, reached } from "../../web/src/sync/cursor.ts";

afterEach(() => {
  vi.useRealTimers();
});

/** A fetch that never answers, but gives up when aborted, like the real one. */
const hangingFetch: FetchFn = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  });

const failingFetch: FetchFn = async () => {
  throw new TypeError("Failed to fetch");
};

const notModifiedFetch: FetchFn = async () =>
  new Response(null, { status: 304, headers: { "content-type": "application/json" } });

const conflictFetch: FetchFn = async () =>
  Response.json(
    { error: { code: "version_conflict", message: "Changed elsewhere", details: { current: { id: "a" } } } },
    { status: 409, headers: { "Retry-After": "3" } },
  );

describe("send", () => {
  test("a request that hangs fails with NetworkError when the watchdog fires", async () => {
    vi.useFakeTimers();
    const p = send(hangingFetch, "/api/sync/changes");
    const outcome = p.then(
      () => "resolved",
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1);
    let settled = false;
    void outcome.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toMatch(/timed out/);
  });

  test("the watchdog can be shortened per request", async () => {
    vi.useFakeTimers();
    const outcome = send(hangingFetch, "/x", { timeoutMs: 2_000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await outcome).toBeInstanceOf(NetworkError);
  });

  test("a fetch that rejects is a NetworkError", async () => {
    await expect(send(failingFetch, "/x")).rejects.toBeInstanceOf(NetworkError);
  });

  test("JSON bodies and headers are sent; undefined headers are left out", async () => {
    let seen: RequestInit | undefined;
    const fetchFn: FetchFn = async (_i, init) => {
      seen = init;
      return new Response(null, { status: 204 });
    };
    await send(fetchFn, "/x", { method: "PATCH", body: { a: 1 }, headers: { "If-Match": undefined, "X-A": "b" } });
    const headers = seen!.headers as Record<string, string>;
    expect(headers).toEqual({ Accept: "application/json", "Content-Type": "application/json", "X-A": "b" });
    expect(seen!.body).toBe('{"a":1}');
  });

  test("304 has no body to parse", async () => {
    const res = await send(notModifiedFetch, "/x");
    expect(res).toMatchObject({ status: 304, ok: false, body: null });
  });
});

describe("errors", () => {
  test("an error body becomes an HttpError with code, details and Retry-After", async () => {
    const err = httpError(await send(conflictFetch, "/x"));
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({
      status: 409,
      code: "version_conflict",
      message: "Changed elsewhere",
      details: { current: { id: "a" } },
      retryAfterMs: 3_000,
    });
  });

  test("Retry-After may be seconds or an HTTP date", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfter(new Headers({ "Retry-After": "120" }), now)).toBe(120_000);
    expect(parseRetryAfter(new Headers({ "Retry-After": "Thu, 01 Jan 2026 12:00:30 GMT" }), now)).toBe(30_000);
    expect(parseRetryAfter(new Headers({ "Retry-After": "Thu, 01 Jan 2026 11:00:00 GMT" }), now)).toBe(0);
    expect(parseRetryAfter(new Headers(), now)).toBeNull();
    expect(parseRetryAfter(new Headers({ "Retry-After": "soon" }), now)).toBeNull();
  });
});

describe("cursors", () => {
  test("decimal cursors compare numerically, not as text", () => {
    expect(compareCursor("10", "9")).toBeGreaterThan(0);
    expect(compareCursor("009", "9")).toBe(0);
    expect(compareCursor("09", "8")).toBeGreaterThan(0);
    expect(compareCursor("b", "a")).toBeGreaterThan(0);
    expect(compareCursor("b", "aa")).toBeLessThan(0);
    expect(reached("10", "9")).toBe(true);
    expect(reached("9", "10")).toBe(false);
    expect(reached(null, "1")).toBe(false);
  });
});
