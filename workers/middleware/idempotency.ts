/**
 * Idempotency-Key for every authenticated mutation (SPEC §3). The key is
 * claimed in Postgres before the handler runs — by the session query itself
 * (./auth.ts), so the claim costs no extra round trip; the finished response
 * (status, body and the headers a client needs) is stored and replayed exactly.
 *
 *  - same key, same request, finished → stored response + `Idempotent-Replayed: true`
 *  - same key, other request           → 422 idempotency_key_reused
 *  - same key, first still running     → 409 idempotency_in_progress
 *
 * 5xx responses release the key so a retry can run again. A claim older than
 * STALE_MS whose request never finished (the isolate died) is taken over; a
 * request that is still running (a long upload) renews its claim every
 * RENEW_MS, so it is never taken over while alive.
 * Keys are kept ≥ 24 h (pruned by the cron job after that).
 */
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { idempotencyKeys } from "../../db/schema";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { JSON_TYPE } from "./content-type";
import { ErrorCode } from "../protocol/rules";

export const IDEMPOTENCY_TTL_HOURS = 24;
const STALE_MS = 15_000;
const RENEW_MS = 5_000;
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const REPLAYED_HEADERS = ["content-type", "etag", "location", "x-sync-cursor"];

/**
 * JSON bodies are hashed as sent. Other bodies are binary streams (audio
 * uploads, routes/audio.ts) that must never be buffered: they are identified
 * by the headers that describe them.
 */
const bodyFingerprint = async (c: Context): Promise<string> =>
  JSON_TYPE.test(c.req.header("content-type") ?? "")
    ? c.req.text()
    : `stream\n${["content-type", "content-length", "x-filename", "x-audio-id"].map((h) => c.req.header(h) ?? "").join("\n")}`;

/**
 * Outer half (before authentication): fingerprints the request for the
 * session query to claim, and afterwards stores the response — or releases
 * the key after a 5xx so a retry can run again.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined || !MUTATING.has(c.req.method)) return next();
  if (key.length < 1 || key.length > 255)
    throw new AppError(400, ErrorCode.invalid_idempotency_key, "Idempotency-Key must be 1–255 characters.");
  const url = new URL(c.req.url);
  const requestHash = await sha256Hex(
    `${c.req.method} ${url.pathname}${url.search}\n${c.req.header("if-match") ?? ""}\n${await bodyFingerprint(c)}`,
  );
  c.set("idempotencyRequest", { key, requestHash });
  const claimOf = () => and(eq(idempotencyKeys.userId, c.var.user.id), eq(idempotencyKeys.key, key));

  const renew = setInterval(() => {
    if (!c.var.idempotency?.claimed) return;
    c.var.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now()` })
      .where(and(claimOf(), isNull(idempotencyKeys.status)))
      .catch(() => {}); // the next tick tries again; a dead request's claim goes stale
  }, RENEW_MS);
  try {
    await next();
  } finally {
    clearInterval(renew);
  }

  if (!c.var.idempotency?.claimed) return;
  const db = c.var.db;
  const where = claimOf();
  const res = c.res;
  if (res.status >= 500) {
    // If this fails too (database down), the claim goes stale and is taken over later.
    await db
      .delete(idempotencyKeys)
      .where(where)
      .catch(() => {});
    return;
  }
  const headers: Record<string, string> = {};
  for (const h of REPLAYED_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const stored = res.status === 204 || res.status === 304 ? null : await res.clone().text();
  await db.update(idempotencyKeys).set({ status: res.status, headers, body: stored }).where(where);
});

/**
 * Inner half (after authentication): a key the session query could not claim
 * was used before — replay it, refuse a different request, or report it still
 * running (taking over a claim whose request died long ago).
 */
export const idempotencyGate = createMiddleware<AppEnv>(async (c, next) => {
  const state = c.var.idempotency;
  if (!state || state.claimed) return next();
  const { key, requestHash } = c.var.idempotencyRequest!;
  const prior = state.prior;
  if (prior && prior.requestHash !== requestHash)
    throw new AppError(422, ErrorCode.idempotency_key_reused, "This Idempotency-Key was used for a different request.");
  if (prior && prior.status !== null) {
    const headers = new Headers(prior.headers ?? {});
    headers.set("Idempotent-Replayed", "true");
    return new Response(prior.body, { status: prior.status, headers }) as never;
  }
  const takenOver = prior
    ? await c.var.db
        .update(idempotencyKeys)
        .set({ createdAt: sql`now()` })
        .where(
          and(
            eq(idempotencyKeys.userId, c.var.user.id),
            eq(idempotencyKeys.key, key),
            isNull(idempotencyKeys.status),
            lt(idempotencyKeys.createdAt, new Date(Date.now() - STALE_MS)),
          ),
        )
        .returning({ key: idempotencyKeys.key })
    : [];
  if (takenOver.length === 0)
    throw new AppError(
      409,
      ErrorCode.idempotency_in_progress,
      "A request with this Idempotency-Key is still being processed.",
      {
        headers: { "Retry-After": "1" },
      },
    );
  c.set("idempotency", { claimed: true, prior: null });
  return next();
});
