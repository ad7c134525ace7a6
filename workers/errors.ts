/**
 * Every failure leaves the API as `{"error": {"code", "message", "details"}}`
 * (SPEC §3). Routes throw `AppError`; `onError` maps everything else, and a
 * 500 never carries a stack or SQL.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    opts: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }
}

export const notFound = (what = "Resource") => new AppError(404, "not_found", `${what} not found.`);

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Postgres unreachable, restarting, or refusing connections — on either
 * driver path: the WebSocket one reports SQLSTATEs and socket errors; the HTTP
 * one (db/client.ts) reports a failed fetch ("Error connecting to database")
 * or a 5xx from Neon's proxy ("Server error (HTTP status 500): …").
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("08") || code.startsWith("57P") || code === "53300")) return true;
    const msg = e instanceof Error ? e.message : String(e);
    if (
      /connection terminated|Error connecting to database|Server error \(HTTP status 5\d\d\)|connect(ion)? timeout|timeout exceeded when trying to connect|ECONNREFUSED|websocket|socket hang up|Connection closed|the database system is (starting up|shutting down)/i.test(
        msg,
      )
    )
      return true;
  }
  return false;
}

/**
 * A per-user quota trigger refused an insert (db/migrations/0014_quotas.sql:
 * SQLSTATE CN413, the resource in HINT, the limit in DETAIL) → 413 `quota_exceeded`.
 */
export function quotaExceeded(err: unknown): AppError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const pg = e as { code?: unknown; detail?: unknown; hint?: unknown };
    if (pg.code !== "CN413") continue;
    const limit = Number(pg.detail);
    const resource = typeof pg.hint === "string" ? pg.hint : "records";
    return new AppError(
      413,
      "quota_exceeded",
      `You have reached the limit of ${limit} ${resource.replace(/_/g, " ")}; delete some to make room.`,
      { details: { resource, limit } },
    );
  }
  return undefined;
}

/** The AppError a failure stands for (itself, or a quota refusal), if any. */
export const asAppError = (err: unknown): AppError | undefined => (err instanceof AppError ? err : quotaExceeded(err));

export function onError(err: Error, c: Context): Response {
  const quota = quotaExceeded(err);
  if (quota) return c.json(errorBody(quota.code, quota.message, quota.details), quota.status);
  if (err instanceof AppError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(errorBody(err.code, err.message, err.details), err.status);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code =
      status === 400
        ? "malformed_request"
        : status === 413
          ? "payload_too_large"
          : status === 401
            ? "unauthorized"
            : "http_error";
    return c.json(errorBody(code, err.message || "Request failed."), status);
  }
  // The leading session check refused the batch (middleware/session.ts): the
  // auth middleware decides the final answer; this is only its placeholder.
  if (refusedBySessionCheck(err)) return c.json(errorBody("unauthorized", "Sign in to continue."), 401);
  if (isDatabaseUnavailable(err)) {
    c.header("Retry-After", "5");
    return c.json(errorBody("database_unavailable", "The database is unavailable. Please retry shortly."), 503);
  }
  console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), ...logFields(err) }));
  return c.json(
    errorBody("internal_error", "Something went wrong on our side.", { request_id: c.get("requestId") }),
    500,
  );
}

function refusedBySessionCheck(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "CN401" || code === "CN409") return true;
  }
  return false;
}

/** The constraint name when `err` is (or wraps) a Postgres unique violation. */
export function uniqueViolation(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const pg = e as { code?: unknown; constraint?: unknown };
    if (pg.code === "23505") return typeof pg.constraint === "string" ? pg.constraint : "";
  }
  return undefined;
}

/**
 * What an error log may say: the error's name, the Postgres SQLSTATE and
 * constraint from anywhere in its cause chain, and the code locations of its
 * stack — never a message. Messages carry data: drizzle's hold the SQL text
 * and its parameters (token hashes, password hashes), Postgres' `detail` the
 * conflicting values.
 */
export function logFields(err: unknown): { error: string; code?: string; constraint?: string; at?: string[] } {
  const out: { error: string; code?: string; constraint?: string; at?: string[] } = {
    error: err instanceof Error ? err.name : typeof err,
  };
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const pg = e as { code?: unknown; constraint?: unknown };
    if (out.code === undefined && typeof pg.code === "string") out.code = pg.code;
    if (out.constraint === undefined && typeof pg.constraint === "string") out.constraint = pg.constraint;
  }
  const frames =
    err instanceof Error ? err.stack?.split("\n").filter((l) => /^\s+at .*:\d+:\d+\)?$/.test(l)) : undefined;
  if (frames?.length) out.at = frames.slice(0, 5).map((l) => l.trim());
  return out;
}
