/**
 * Idempotency-Key for every authenticated mutation (SPEC §3). The key is
 * claimed in Postgres by the session check itself (./auth.ts, ./session.ts),
 * so the claim costs no extra round trip; the request's write statement
 * records its outcome on the key in the same statement (sync/write.ts); the
 * finished response (status, body and the headers a client needs) is stored
 * after it has been sent (waitUntil: off the request's latency) and replayed
 * exactly.
 *
 *  - same key, same request, finished → stored response + `Idempotent-Replayed: true`
 *  - same key, other request           → 422 idempotency_key_reused
 *  - same key, first still running     → 409 idempotency_in_progress
 *  - same key, write committed but the response never stored (the database
 *    went away in between) → the response rebuilt from the committed outcome;
 *    the write never runs twice
 *
 * 5xx responses release the key so a retry can run again. A claim older than
 * STALE_MS whose request never wrote anything (the isolate died) is taken over;
 * a request that is still running (a long upload) renews its claim every
 * RENEW_MS, so it is never taken over while alive.
 * Keys are kept ≥ 24 h (pruned by the cron job after that).
 */
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { idempotencyKeys } from "../../db/schema";
import type { AppEnv, IdempotencyOutcome, IdempotencyState } from "../env";
import { AppError, idempotencyInProgress, idempotencyKeyReused } from "../errors";
import type { EntityName } from "../protocol/registry";
import { rowFromRaw, toWire } from "../protocol/row-mapping";
import { sha256Hex } from "../lib/crypto";
import { ErrorCode } from "../protocol/rules";
import { JSON_TYPE } from "./content-type";

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

  const state = c.var.idempotency;
  if (!state?.claimed) return;
  const db = c.var.db;
  const where = claimOf();
  const res = c.res;
  if (res.status >= 500) {
    // If this fails too (database down), the claim goes stale and is taken over later.
    c.var.dbHandle.later(() => db.delete(idempotencyKeys).where(and(where, isNull(idempotencyKeys.outcome))));
    return;
  }
  const headers: Record<string, string> = {};
  for (const h of REPLAYED_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const stored = res.status === 204 || res.status === 304 ? null : await res.clone().text();
  // After the response: the write and its outcome are already committed, so a
  // retry in between waits for this, or is answered from the outcome.
  c.var.dbHandle.later(() =>
    db
      .update(idempotencyKeys)
      .set({ status: res.status, headers, body: stored })
      .where(where)
      .catch((err: unknown) =>
        console.warn(
          JSON.stringify({ level: "warn", msg: "storing the idempotent response failed", error: String(err) }),
        ),
      ),
  );
});

const replay = (status: number, headers: HeadersInit, body: string | null) => {
  const h = new Headers(headers);
  h.set("Idempotent-Replayed", "true");
  return new Response(body, { status, headers: h });
};

/**
 * The response of a committed write whose stored response is missing, rebuilt
 * from its outcome: by the route's own `rebuild` when its reply is more than
 * the record it wrote last (a purchase and its wallet, a conversation's state),
 * else that record.
 */
async function rebuilt(c: Context<AppEnv>, outcome: IdempotencyOutcome): Promise<Response> {
  if (c.var.rebuild) {
    const res = await c.var.rebuild(c, outcome);
    const headers = new Headers(res.headers);
    headers.set("x-sync-cursor", outcome.cursor);
    return replay(res.status, headers, res.status === 204 ? null : await res.text());
  }
  const entity = outcome.entity as EntityName;
  const row = rowFromRaw(entity, outcome.row);
  const status = c.req.method === "POST" ? 201 : c.req.method === "DELETE" ? 204 : 200;
  const headers: Record<string, string> = { "x-sync-cursor": outcome.cursor };
  if (status === 204) return replay(204, headers, null);
  headers["content-type"] = "application/json";
  const version = (row as { version?: number }).version;
  if (version !== undefined) headers.etag = `"${version}"`;
  return replay(status, headers, JSON.stringify(toWire(entity, row)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The answer for a key used before (a replay; or thrown: in progress, reused
 * for another request), or null when its request died before writing anything
 * (older than STALE_MS, no outcome): then it may be taken over.
 */
async function answerForUsedKey(c: Context<AppEnv>, state: IdempotencyState): Promise<Response | null> {
  const { key, requestHash } = c.var.idempotencyRequest!;
  const prior = state.prior;
  if (!prior) throw idempotencyInProgress(); // claimed by a concurrent first use, not visible yet
  if (prior.requestHash !== requestHash) throw idempotencyKeyReused();
  if (prior.status !== null) return replay(prior.status, prior.headers ?? {}, prior.body);
  // Still null: the first request is running, or has answered and its response
  // is being stored right after it was sent. Look again for a moment.
  let outcome = prior.outcome;
  let ageMs = prior.ageMs;
  if (ageMs < STALE_MS) {
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      const [row] = await c.var.db
        .select({
          status: idempotencyKeys.status,
          headers: idempotencyKeys.headers,
          body: idempotencyKeys.body,
          outcome: idempotencyKeys.outcome,
          ageMs: sql<string>`extract(epoch from now() - ${idempotencyKeys.createdAt}) * 1000`,
        })
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.userId, c.var.user.id), eq(idempotencyKeys.key, key)));
      if (!row) throw idempotencyInProgress(); // released after a 5xx: the client retries and runs it
      if (row.status != null) return replay(row.status, row.headers ?? {}, row.body);
      outcome = row.outcome ?? outcome;
      ageMs = Number(row.ageMs);
    }
  }
  // A claim renewed within STALE_MS belongs to a request that is still running (it renews every
  // RENEW_MS): an outcome then is only its writes so far (an assistant run writes several times),
  // never its answer. Only once it stopped renewing without storing a response is the reply
  // rebuilt from what it committed (never running the write twice).
  if (ageMs < STALE_MS) throw idempotencyInProgress();
  return outcome ? rebuilt(c, outcome) : null;
}

const staleClaim = (userId: string, key: string) =>
  and(
    eq(idempotencyKeys.userId, userId),
    eq(idempotencyKeys.key, key),
    isNull(idempotencyKeys.status),
    isNull(idempotencyKeys.outcome),
    lt(idempotencyKeys.createdAt, new Date(Date.now() - STALE_MS)),
  );

/**
 * For a pipelined request (./auth.ts) whose batch did not commit because its
 * key was used before: the answer for that key. A dead claim is released and
 * the client asked to retry at once (its handler has already returned).
 */
export async function idempotencyRefusal(c: Context<AppEnv>, state: IdempotencyState): Promise<Response> {
  const { key } = c.var.idempotencyRequest!;
  const retry = async (release: Promise<unknown>): Promise<never> => {
    await release;
    throw idempotencyInProgress(0);
  };
  const where = and(eq(idempotencyKeys.userId, c.var.user.id), eq(idempotencyKeys.key, key));
  // Claimed just now by the second look: ours to release, nothing ran under it.
  if (state.claimed) return retry(c.var.db.delete(idempotencyKeys).where(where));
  return (
    (await answerForUsedKey(c, state)) ?? retry(c.var.db.delete(idempotencyKeys).where(staleClaim(c.var.user.id, key)))
  );
}

/**
 * Inner half (after an awaited authentication): a key the session query
 * could not claim was used before — replay it, refuse a different request, or
 * report it still running (taking over a claim whose request died long ago).
 */
export const idempotencyGate = createMiddleware<AppEnv>(async (c, next) => {
  const state = c.var.idempotency;
  if (!state || state.claimed) return next();
  const answer = await answerForUsedKey(c, state);
  if (answer) return answer as never;
  const { key } = c.var.idempotencyRequest!;
  const takenOver = await c.var.db
    .update(idempotencyKeys)
    .set({ createdAt: sql`now()` })
    .where(staleClaim(c.var.user.id, key))
    .returning({ key: idempotencyKeys.key });
  if (takenOver.length === 0) throw idempotencyInProgress();
  c.set("idempotency", { claimed: true, prior: null });
  return next();
});
