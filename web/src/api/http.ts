// Minimal JSON-over-fetch helpers shared by the sync client and the views.
// Every request has a watchdog: a hung connection must surface as a
// NetworkError so callers can fall back and retry instead of waiting forever.

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export const DEFAULT_TIMEOUT_MS = 15_000;

/** The request never produced a response (offline, DNS, reset, watchdog). */
export class NetworkError extends Error {
  override name = "NetworkError";
}

/** The server answered with a non-2xx status. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

export interface SendOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  ok: boolean;
  headers: Headers;
  body: unknown;
}

export async function send(fetchFn: FetchFn, path: string, opts: SendOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { Accept: "application/json" };
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = v;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    let res: Response;
    try {
      res = await fetchFn(path, {
        method: opts.method ?? "GET",
        headers,
        body,
        credentials: "same-origin",
        signal: ctrl.signal,
      });
    } catch (err) {
      throw new NetworkError(ctrl.signal.aborted ? "Request timed out" : String((err as Error)?.message ?? err));
    }
    let parsed: unknown = null;
    if (res.status !== 204 && res.status !== 304 && (res.headers.get("content-type") ?? "").includes("json")) {
      // A body cut off mid-stream is a network failure, not a server verdict.
      try {
        parsed = await res.json();
      } catch {
        if (ctrl.signal.aborted) throw new NetworkError("Request timed out");
        parsed = null;
      }
    }
    return { status: res.status, ok: res.ok, headers: res.headers, body: parsed };
  } finally {
    clearTimeout(timer);
  }
}

/** Retry-After as milliseconds (seconds or an HTTP date), or null. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | null {
  const v = headers.get("retry-after");
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function httpError(res: HttpResult): HttpError {
  const err = (res.body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  return new HttpError(
    res.status,
    err?.code ?? `http_${res.status}`,
    err?.message ?? `Request failed (${res.status})`,
    err?.details,
    parseRetryAfter(res.headers),
  );
}

/** For views: resolve with the JSON body or throw HttpError/NetworkError. */
export async function api<T>(path: string, opts: SendOptions = {}, fetchFn: FetchFn = defaultFetch): Promise<T> {
  const res = await send(fetchFn, path, opts);
  if (!res.ok) throw httpError(res);
  return res.body as T;
}

export const defaultFetch: FetchFn = (input, init) => globalThis.fetch(input, init);

/** Human text for any error thrown by send/api. */
export function describeError(err: unknown): string {
  if (err instanceof NetworkError) return "Can't reach the server. Check your connection and try again.";
  if (err instanceof HttpError) return err.message;
  return "Something went wrong.";
}
