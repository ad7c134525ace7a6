/**
 * Idempotency-Key for every authenticated mutation (SPEC §3). The key is
 * claimed in Postgres before the handler runs; the finished response (status,
 * body and the headers a client needs) is stored and replayed exactly.
 *
 *  - same key, same request, finished → stored response + `Idempotent-Replayed: true`
 *  - same key, other request           → 422 idempotency_key_reused
 *  - same key, first still running     → 409 idempotency_in_progress
 *
 * 5xx responses release the key so a retry can run again. A claim older than
 * STALE_MS whose request never finished (the isolate died) is taken over.
 * Keys are kept ≥ 24 h (pruned by the cron job after that).
 */
import { and, eq, lt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { idempotencyKeys } from "../../db/schema";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { JSON_TYPE } from "./content-type";

export const IDEMPOTENCY_TTL_HOURS = 24;
const STALE_MS = 15_000;
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

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined || !MUTATING.has(c.req.method)) return next();
  if (key.length < 1 || key.length > 255)
    throw new AppError(400, "invalid_idempotency_key", "Idempotency-Key must be 1–255 characters.");

  const db = c.var.db;
  const userId = c.var.user.id;
  const url = new URL(c.req.url);
  const requestHash = await sha256Hex(
    `${c.req.method} ${url.pathname}${url.search}\n${c.req.header("if-match") ?? ""}\n${await bodyFingerprint(c)}`,
  );
  const where = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));

  const claimed = await db
    .insert(idempotencyKeys)
    .values({ userId, key, requestHash })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });

  if (claimed.length === 0) {
    const [existing] = await db.select().from(idempotencyKeys).where(where);
    if (!existing)
      throw new AppError(409, "idempotency_in_progress", "A request with this Idempotency-Key is being processed.");
    if (existing.requestHash !== requestHash)
      throw new AppError(422, "idempotency_key_reused", "This Idempotency-Key was used for a different request.");
    if (existing.status === null) {
      const takenOver = await db
        .update(idempotencyKeys)
        .set({ createdAt: sql`now()` })
        .where(and(where, lt(idempotencyKeys.createdAt, new Date(Date.now() - STALE_MS))))
        .returning({ key: idempotencyKeys.key });
      if (takenOver.length === 0)
        throw new AppError(
          409,
          "idempotency_in_progress",
          "A request with this Idempotency-Key is still being processed.",
          {
            headers: { "Retry-After": "1" },
          },
        );
    } else {
      const headers = new Headers(existing.headers ?? {});
      headers.set("Idempotent-Replayed", "true");
      return new Response(existing.body, { status: existing.status, headers }) as never;
    }
  }

  await next();

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
  const body = res.status === 204 || res.status === 304 ? null : await res.clone().text();
  await db.update(idempotencyKeys).set({ status: res.status, headers, body }).where(where);
});
