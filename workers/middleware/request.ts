/**
 * What a request meets before its session and its handler, besides the
 * Idempotency-Key (./idempotency.ts) and the session check (./auth.ts):
 *  - `sameOrigin`: every /api request (workers/app.ts) — a cookie-signed
 *    mutation must come from the app itself;
 *  - `jsonBody`: a route whose declared body is JSON (or none) — the media
 *    type and the size limit (http/openapi.ts `route()` attaches it);
 *  - `database`: a route with the `db` trait — the request's database handle.
 */
import { getCookie } from "hono/cookie";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { openDb } from "../../db/client";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { ErrorCode, SESSION_COOKIE } from "../protocol/rules";

// ---- same origin -----------------------------------------------------------------

/**
 * CSRF and cross-site WebSocket hijacking defence, for every request that is
 * authenticated by the session cookie (the one credential a browser attaches
 * on its own). A mutation (POST/PUT/PATCH/DELETE) or a WebSocket upgrade that
 * carries the cookie must come from the app's own origin:
 *
 *  - `Origin` present → it must equal the request's own origin (`null` never does);
 *  - no `Origin` but `Sec-Fetch-Site` → it must be `same-origin` (or `none`:
 *    typed by the user);
 *  - neither → not a browser (browsers send `Origin` on every non-GET fetch,
 *    form post and WebSocket), allowed.
 *
 * Bearer-token clients (`Authorization: Bearer`) and requests without the
 * cookie are not affected: nothing ambient authenticates them. Hono's `csrf()`
 * only looks at form content types and never at upgrades, hence this one.
 */
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function isCrossSite(req: { url: string; header(name: string): string | undefined }): boolean {
  const origin = req.header("origin");
  if (origin !== undefined) return origin !== new URL(req.url).origin;
  const site = req.header("sec-fetch-site");
  return site !== undefined && site !== "same-origin" && site !== "none";
}

export const sameOrigin = createMiddleware(async (c, next) => {
  const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
  if (
    (upgrade || UNSAFE.has(c.req.method)) &&
    !/^bearer /i.test(c.req.header("authorization") ?? "") &&
    getCookie(c, SESSION_COOKIE) !== undefined &&
    isCrossSite(c.req)
  )
    throw new AppError(
      403,
      ErrorCode.cross_site_request,
      "Requests signed in with the session cookie must come from this app.",
    );
  await next();
});

// ---- JSON bodies -----------------------------------------------------------------

export const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** A mutating request that carries a body must say it is JSON (415 otherwise). */
export const requireJson = createMiddleware(async (c, next) => {
  const m = c.req.method;
  if (m === "POST" || m === "PUT" || m === "PATCH") {
    const hasBody = Number(c.req.header("content-length") ?? 0) > 0 || c.req.header("transfer-encoding") !== undefined;
    if (hasBody && !JSON_TYPE.test(c.req.header("content-type") ?? ""))
      throw new AppError(415, ErrorCode.unsupported_media_type, "Send the request body as application/json.");
  }
  await next();
});

/** JSON bodies are small; audio has its own streaming limits. */
export const JSON_BODY_LIMIT = 256 * 1024;

const jsonLimit = bodyLimit({
  maxSize: JSON_BODY_LIMIT,
  onError: () => {
    throw new AppError(413, ErrorCode.payload_too_large, `Request bodies are limited to ${JSON_BODY_LIMIT / 1024} KB.`);
  },
});

/**
 * A body sent without Content-Length is read now, through the limit (hono
 * keeps it for the parsers): an oversized stream is 413 before the session or
 * token is checked and before anything parses it, as a declared one is.
 */
const readUnsizedBody = createMiddleware(async (c, next) => {
  if (c.req.raw.body && !c.req.header("content-length")) await c.req.arrayBuffer();
  await next();
});

/** A route that takes JSON (or no body): the media type check, then the size limit. */
export const jsonBody = createMiddleware(async (c, next) => {
  await requireJson(c, async () => {
    const refused = await jsonLimit(c, async () => {
      await readUnsizedBody(c, next);
    });
    if (refused instanceof Response) c.res = refused;
  });
});

// ---- the database ----------------------------------------------------------------

/**
 * A database pool per request (Workers can't share I/O across requests),
 * closed after the response with waitUntil. `X-Db-Queries` reports how many
 * database round trips the request made, `X-Db-Connections` how many
 * WebSocket connections it opened (HTTP queries open none); the bench and the
 * round-trip tests read them. Work deferred with `handle.later()` (storing an
 * idempotent response, refreshing a session's expiry) runs after the
 * response, outside those counts.
 */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  const handle = openDb(c.env);
  c.set("db", handle.db);
  c.set("dbHandle", handle);
  try {
    await next();
  } finally {
    c.header("X-Db-Queries", String(handle.queries()));
    c.header("X-Db-Connections", String(handle.connections()));
    c.executionCtx.waitUntil(handle.runLater().finally(() => handle.close()));
  }
});
