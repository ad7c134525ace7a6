/**
 * Every failure leaves the API as `{"error": {"code", "message", "details"}}`
 * (SPEC §3). Code throws `AppError` (middleware too: nothing else builds an
 * error body); `onError` is the one place that turns a failure into a
 * response, and a 500 never carries a stack or SQL.
 *
 *  - `AppError<C>` is a Hono `HTTPException` whose `code` is one of
 *    `ErrorCode` (protocol/rules.ts, a closed union — a code outside it does
 *    not compile, and the OpenAPI document lists the same codes as an enum);
 *  - named constructors below for the errors built in more than one place;
 *  - `pgError()` is the one decoder of a driver error (SQLSTATE, constraint,
 *    detail, hint; drizzle wraps the driver's error in `cause`), and
 *    constraint names are constants from db/schema.ts.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ErrorCode } from "./protocol/rules";

export class AppError<const C extends ErrorCode = ErrorCode> extends HTTPException {
  declare readonly status: ContentfulStatusCode;
  readonly code: C;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    code: C,
    message: string,
    opts: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(status, { message });
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }

  /** The SPEC's error body with this error's status and headers (Hono calls this for an uncaught HTTPException). */
  override getResponse(): Response {
    return Response.json(errorBody(this.code, this.message, this.details), {
      status: this.status,
      headers: this.headers,
    });
  }
}

export const notFound = (what = "Resource") => new AppError(404, ErrorCode.not_found, `${what} not found.`);
export const unauthorized = (message = "Sign in to continue.", headers?: Record<string, string>) =>
  new AppError(401, ErrorCode.unauthorized, message, headers ? { headers } : {});
export const databaseUnavailable = () =>
  new AppError(503, ErrorCode.database_unavailable, "The database is unavailable. Please retry shortly.", {
    headers: { "Retry-After": "5" },
  });
export const idConflict = () => new AppError(409, ErrorCode.id_conflict, "A different record already uses this id.");
/** The first use of an Idempotency-Key is still running (or, with `retryAfter` 0, was released: retry now). */
export const idempotencyInProgress = (retryAfter: 0 | 1 = 1) =>
  new AppError(
    409,
    ErrorCode.idempotency_in_progress,
    retryAfter === 0 ? "Retry this request now." : "A request with this Idempotency-Key is still being processed.",
    { headers: { "Retry-After": String(retryAfter) } },
  );
export const idempotencyKeyReused = () =>
  new AppError(422, ErrorCode.idempotency_key_reused, "This Idempotency-Key was used for a different request.");

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** What Postgres said about a failed statement, wherever the driver's error sits in the cause chain. */
export interface PgError {
  sqlstate: string;
  constraint?: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** `err` and its causes (drizzle and the driver wrap each other). */
function* causes(err: unknown): Generator<unknown> {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

/** The Postgres error inside `err`, if any (the first error in its cause chain that carries a SQLSTATE). */
export function pgError(err: unknown): PgError | undefined {
  for (const e of causes(err)) {
    const pg = e as { code?: unknown; constraint?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
    if (typeof pg.code !== "string" || !pg.code) continue;
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    return {
      sqlstate: pg.code,
      constraint: text(pg.constraint),
      message: text(pg.message) ?? "",
      detail: text(pg.detail),
      hint: text(pg.hint),
    };
  }
  return undefined;
}

/** SQLSTATEs the code decides on. */
export const SQLSTATE = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  checkViolation: "23514",
  deadlock: "40P01",
  serializationFailure: "40001",
  /** A number the column's type cannot hold (e.g. 5e-324 into a `real`): the input's fault. */
  numericOutOfRange: "22003",
  /** Raised by the leading session check (middleware/auth.ts, continuum_refuse()). */
  sessionRefused: "CN401",
  keyUsed: "CN409",
  /** A per-user quota trigger (db/migrations/0014_quotas.sql). */
  quota: "CN413",
  /** A refusal raised by a database function with the API error code as its message (sync/call.ts). */
  appRefusal: "CNAPP",
} as const;

/** The constraint name when `err` is (or wraps) a Postgres unique violation. */
export function uniqueViolation(err: unknown): string | undefined {
  const pg = pgError(err);
  return pg?.sqlstate === SQLSTATE.uniqueViolation ? (pg.constraint ?? "") : undefined;
}

/** Postgres deadlock / serialization failure: safe to run the whole transaction again. */
export const retryable = (err: unknown): boolean => {
  const state = pgError(err)?.sqlstate;
  return state === SQLSTATE.deadlock || state === SQLSTATE.serializationFailure;
};

/**
 * Postgres unreachable, restarting, or refusing connections — on either
 * driver path: the WebSocket one reports SQLSTATEs and socket errors; the HTTP
 * one (db/client.ts) reports a failed fetch ("Error connecting to database")
 * or a 5xx from Neon's proxy ("Server error (HTTP status 500): …").
 * A connection lost under a query without a SQLSTATE is the query's error on
 * the HTTP path (400, as on Neon) with the pooler's own words: node-postgres
 * says "Client has encountered a connection error and is not queryable" when
 * it hands out a connection Postgres dropped a moment before (the soak's 500s
 * across a Postgres restart: docs/BENCHMARKS.md "Ten-minute soak"), or names
 * the socket error (ECONNRESET, EPIPE, ETIMEDOUT).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const state = pgError(err)?.sqlstate;
  if (state && (state.startsWith("08") || state.startsWith("57P") || state === "53300")) return true;
  if (state && SOCKET_ERRORS.test(state)) return true;
  for (const e of causes(err)) {
    const msg = e instanceof Error ? e.message : String(e);
    if (
      /connection terminated|Error connecting to database|Server error \(HTTP status 5\d\d\)|connect(ion)? timeout|timeout exceeded when trying to connect|ECONNREFUSED|websocket|socket hang up|Connection closed|the database system is (starting up|shutting down)|is not queryable|\b(ECONNRESET|EPIPE|ETIMEDOUT)\b/i.test(
        msg,
      )
    )
      return true;
  }
  return false;
}
/** Socket errors a driver may report as the error's `code` (no SQLSTATE: the connection, not the query). */
const SOCKET_ERRORS = /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT)$/;

/**
 * A per-user quota trigger refused an insert (db/migrations/0014_quotas.sql:
 * SQLSTATE CN413, the resource in HINT, the limit in DETAIL) → 413 `quota_exceeded`.
 */
export function quotaExceeded(err: unknown): AppError | undefined {
  const pg = pgError(err);
  if (pg?.sqlstate !== SQLSTATE.quota) return undefined;
  const limit = Number(pg.detail);
  const resource = pg.hint ?? "records";
  return new AppError(
    413,
    ErrorCode.quota_exceeded,
    `You have reached the limit of ${limit} ${resource.replace(/_/g, " ")}; delete some to make room.`,
    { details: { resource, limit } },
  );
}

/** The AppError a failure stands for (itself, or a quota refusal), if any. */
export const asAppError = (err: unknown): AppError | undefined =>
  err instanceof AppError ? (err as AppError) : quotaExceeded(err);

/** The one place a failure becomes a response. */
export function onError(err: Error, c: Context): Response {
  const known = asAppError(err) ?? fromDriver(err);
  if (known) {
    for (const [k, v] of Object.entries(known.headers)) c.header(k, v);
    return c.json(errorBody(known.code, known.message, known.details), known.status);
  }
  if (err instanceof HTTPException) {
    // Hono's own (a body that isn't JSON, a body limit without our handler): a code by status.
    const status = err.status as ContentfulStatusCode;
    const code: ErrorCode =
      status === 400
        ? ErrorCode.malformed_request
        : status === 413
          ? ErrorCode.payload_too_large
          : status === 401
            ? ErrorCode.unauthorized
            : ErrorCode.http_error;
    return c.json(errorBody(code, err.message || "Request failed."), status);
  }
  // The route, so a 500 in a log (the soak keeps the Worker's) says where it came from.
  console.error(
    JSON.stringify({
      level: "error",
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      ...logFields(err),
      // Throw-away local stacks only (the soak sets it): the messages of the cause chain, which may hold data.
      ...((c.env as Env | undefined)?.LOG_ERROR_MESSAGES === "1"
        ? { messages: [...causes(err)].map((e) => (e instanceof Error ? e.message : String(e)).slice(0, 300)) }
        : {}),
    }),
  );
  return c.json(
    errorBody(ErrorCode.internal_error, "Something went wrong on our side.", { request_id: c.get("requestId") }),
    500,
  );
}

/** Driver failures with a known answer. */
function fromDriver(err: unknown): AppError | undefined {
  const state = pgError(err)?.sqlstate;
  // The leading session check refused the batch (middleware/auth.ts): the
  // auth middleware decides the final answer; this is only its placeholder.
  if (state === SQLSTATE.sessionRefused || state === SQLSTATE.keyUsed) return unauthorized();
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  if (state === SQLSTATE.numericOutOfRange)
    return new AppError(422, ErrorCode.validation_failed, "A number is out of the range this field can store.");
  return undefined;
}

/**
 * What an error log may say: the error's name, the Postgres SQLSTATE and
 * constraint from anywhere in its cause chain, and the code locations of its
 * stack — never a message. Messages carry data: drizzle's hold the SQL text
 * and its parameters (token hashes, password hashes), Postgres' `detail` the
 * conflicting values.
 */
export function logFields(err: unknown): {
  error: string;
  causes?: string[];
  code?: string;
  constraint?: string;
  at?: string[];
} {
  const name = (e: unknown) => (e instanceof Error ? e.name : typeof e);
  const out: { error: string; causes?: string[]; code?: string; constraint?: string; at?: string[] } = {
    error: name(err),
  };
  const chain = [...causes(err)].slice(1).map(name);
  if (chain.length) out.causes = chain;
  const pg = pgError(err);
  if (pg) out.code = pg.sqlstate;
  if (pg?.constraint) out.constraint = pg.constraint;
  const frames =
    err instanceof Error ? err.stack?.split("\n").filter((l) => /^\s+at .*:\d+:\d+\)?$/.test(l)) : undefined;
  if (frames?.length) out.at = frames.slice(0, 5).map((l) => l.trim());
  return out;
}
