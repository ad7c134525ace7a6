/**
 * Idempotency-Key for every signed-in mutation (SPEC §3): the whole concept,
 * in the order a request meets it.
 *
 *  1. Fingerprint (before authentication): SHA-256 of the method, path and
 *     query, If-Match and the body as sent.
 *  2. Claim: the session check claims the key in the same statement
 *     (continuum_session(), db/migrations/0018; ./auth.ts embeds
 *     `claimArgs()` and reads the result with `claimState()`), so the claim
 *     costs no round trip. Pipelined, a used key raises (CN409), so the write
 *     batched after the check never commits.
 *  3. Outcome: every write statement records what it wrote on the claimed key
 *     in the same statement — `keyClaim(c).outcome()` is the CTE that
 *     sync/write.ts embeds; the one-call database functions get `key` and do
 *     the same in continuum_log(). "The write committed" and "the key knows
 *     it" can never disagree.
 *  4. Answer for a used key — awaited (`idempotencyGate`) or after a
 *     pipelined batch refused (`afterUncommittedBatch`, called by ./auth.ts):
 *       - same request, finished       → the stored response + `Idempotent-Replayed: true`
 *       - another request              → 422 idempotency_key_reused
 *       - first still running          → 409 idempotency_in_progress (Retry-After: 1)
 *       - committed, response not stored (the database went away in between)
 *                                      → rebuilt from the outcome; the write never runs twice
 *       - claimed, nothing written, older than STALE_MS (the isolate died)
 *                                      → taken over (awaited) or released for a retry (pipelined)
 *  5. Storage: after the response has been sent (waitUntil: off the request's
 *     latency); a 5xx releases a key without an outcome so a retry runs again.
 *     A running request renews its claim every RENEW_MS, so a long upload is
 *     never taken over while alive. Keys are kept ≥ IDEMPOTENCY_TTL_HOURS
 *     (pruned by jobs/prune.ts).
 */
import { and, eq, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { idempotencyKeys } from "../../db/schema";
import type { AppEnv, IdempotencyOutcome, IdempotencyRequest, IdempotencyState, KeyClaim } from "../env";
import { AppError, idempotencyInProgress, idempotencyKeyReused, logFields, SQLSTATE } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { type EntityName, rowFromRaw, toWire } from "../protocol/registry";
import { ErrorCode } from "../protocol/rules";
import { JSON_TYPE } from "./request";

const STALE_MS = 15_000;
const RENEW_MS = 5_000;
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const REPLAYED_HEADERS = ["content-type", "etag", "location", "x-sync-cursor"];

const keyRow = (userId: string, key: string) => and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));

// ── 1. Fingerprint ──────────────────────────────────────────────────────────

/**
 * JSON bodies are hashed as sent. Other bodies are binary streams (audio
 * uploads, routes/audio.ts) that must never be buffered: they are identified
 * by the headers that describe them.
 */
const bodyFingerprint = async (c: Context): Promise<string> =>
  JSON_TYPE.test(c.req.header("content-type") ?? "")
    ? c.req.text()
    : `stream\n${["content-type", "content-length", "x-filename", "x-audio-id"].map((h) => c.req.header(h) ?? "").join("\n")}`;

async function fingerprint(c: Context, key: string): Promise<IdempotencyRequest> {
  if (key.length < 1 || key.length > 255)
    throw new AppError(400, ErrorCode.invalid_idempotency_key, "Idempotency-Key must be 1–255 characters.");
  const url = new URL(c.req.url);
  const requestHash = await sha256Hex(
    `${c.req.method} ${url.pathname}${url.search}\n${c.req.header("if-match") ?? ""}\n${await bodyFingerprint(c)}`,
  );
  return { key, requestHash };
}

// ── 2. Claim (inside the session check) ─────────────────────────────────────

/** continuum_session()'s key arguments: `p_key, p_request_hash` (both null without a key). */
export const claimArgs = (claim: IdempotencyRequest | undefined): SQL =>
  sql`${claim?.key ?? null}::text, ${claim?.requestHash ?? null}::text`;

/** The columns continuum_session() returns about the key: claimed now, or what an earlier use left. */
export interface ClaimColumns {
  claimed: boolean;
  k_request_hash?: string | null;
  k_status?: number | null;
  k_headers?: Record<string, string> | null;
  k_body?: string | null;
  k_outcome?: IdempotencyOutcome | null;
  k_age_ms?: number | string | null;
}

export function claimState(row: ClaimColumns): IdempotencyState {
  const prior =
    row.k_request_hash == null
      ? null
      : {
          requestHash: row.k_request_hash,
          status: row.k_status ?? null,
          headers: row.k_headers ?? null,
          body: row.k_body ?? null,
          outcome: row.k_outcome ?? null,
          ageMs: Number(row.k_age_ms ?? 0),
        };
  return { claimed: row.claimed, prior };
}

/** The key a pipelined check claims (known to be claimed once the batch it leads commits). */
export function claimPipelined(c: Context<AppEnv>): void {
  if (c.var.idempotencyRequest) c.set("idempotency", { claimed: true, prior: null });
}

/** The check did not pass (401, 503): the batch that claimed the key never committed; nothing to store. */
export const dropClaim = (c: Context<AppEnv>): void => c.set("idempotency", undefined);

// ── 3. Outcome (inside each write statement) ────────────────────────────────

/**
 * The `outcome` CTE of a write statement whose logged rows are the CTE
 * `numbered` (with their cursor `__seq`): the last row, its cursor, and the
 * last row of each entity (what a route's `rebuild` answers from).
 * continuum_log() writes the same object for the one-call functions.
 */
const outcomeCte = (userId: string, key: string, entity: string): SQL => sql`
      update idempotency_keys set outcome = jsonb_build_object(
        'entity', ${entity}::text,
        'cursor', (select max(__seq) from numbered)::text,
        'row', (select to_jsonb(numbered) - '__seq' from numbered order by __seq desc limit 1),
        'rows', coalesce(idempotency_keys.outcome->'rows', '{}'::jsonb) || jsonb_build_object(${entity}::text,
          (select to_jsonb(numbered) - '__seq' from numbered order by __seq desc limit 1)))
      where user_id = ${userId} and key = ${key} and status is null and exists (select 1 from numbered)`;

/** The request's claimed key, as its writes record their outcome on it (http/record.ts requestScope). */
export function keyClaim(c: Context): KeyClaim | undefined {
  const v = c.var as Partial<AppEnv["Variables"]>;
  const key = v.idempotency?.claimed ? v.idempotencyRequest?.key : undefined;
  return key === undefined ? undefined : { key, outcome: (userId, entity) => outcomeCte(userId, key, entity) };
}

// ── 4. Answer for a used key ────────────────────────────────────────────────

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
        .where(keyRow(c.var.user.id, key));
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
    keyRow(userId, key),
    isNull(idempotencyKeys.status),
    isNull(idempotencyKeys.outcome),
    lt(idempotencyKeys.createdAt, new Date(Date.now() - STALE_MS)),
  );

/**
 * Awaited authentication: a key the session query could not claim was used
 * before — replay it, refuse a different request, or report it still running
 * (taking over a claim whose request died long ago).
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

/**
 * Pipelined authentication (./auth.ts) whose batch did not commit though the
 * session is valid: `state` is what the check, asked again on its own, found
 * for the key. Either the claim raised (the key was used before: answer for
 * it), or the handler's own statement failed and took the claim down with it
 * (the check just claimed it again, so the handler's error is stored as usual).
 * Returns the response that replaces the handler's, if any.
 */
export async function afterUncommittedBatch(
  c: Context<AppEnv>,
  sqlstate: string | undefined,
  state: IdempotencyState | undefined,
): Promise<Response | undefined> {
  c.set("idempotency", state);
  if (!state || (sqlstate !== SQLSTATE.keyUsed && state.claimed)) return undefined;
  // The handler's response came from a batch that did not commit: answer for the key instead.
  c.set("idempotency", { ...state, claimed: false });
  const { key } = c.var.idempotencyRequest!;
  const retry = async (release: Promise<unknown>): Promise<never> => {
    await release; // its handler has already returned: the client is asked to run it again, at once
    throw idempotencyInProgress(0);
  };
  // Claimed just now by the second look: ours to release, nothing ran under it.
  if (state.claimed) return retry(c.var.db.delete(idempotencyKeys).where(keyRow(c.var.user.id, key)));
  return (
    (await answerForUsedKey(c, state)) ?? retry(c.var.db.delete(idempotencyKeys).where(staleClaim(c.var.user.id, key)))
  );
}

// ── 5. Storage (after the response) ─────────────────────────────────────────

/** The response under the claimed key, after it has been sent; a 5xx releases a key without an outcome. */
async function storeResponse(c: Context<AppEnv>, key: string): Promise<void> {
  const db = c.var.db;
  const where = keyRow(c.var.user.id, key);
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
  const body = res.status === 204 || res.status === 304 ? null : await res.clone().text();
  // After the response: the write and its outcome are already committed, so a
  // retry in between waits for this, or is answered from the outcome.
  c.var.dbHandle.later(() =>
    db
      .update(idempotencyKeys)
      .set({ status: res.status, headers, body })
      .where(where)
      .catch((err: unknown) =>
        console.warn(
          // logFields, not the message: drizzle's holds the statement's parameters (the response body).
          JSON.stringify({ level: "warn", msg: "storing the idempotent response failed", ...logFields(err) }),
        ),
      ),
  );
}

/**
 * The outer half, around authentication and the handler: fingerprints the
 * request (1) for the session check to claim (2), keeps a running claim
 * fresh, and stores the response (5).
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("idempotency-key");
  if (header === undefined || !MUTATING.has(c.req.method)) return next();
  const request = await fingerprint(c, header);
  c.set("idempotencyRequest", request);
  const { key } = request;
  const renew = setInterval(() => {
    if (!c.var.idempotency?.claimed) return;
    c.var.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now()` })
      .where(and(keyRow(c.var.user.id, key), isNull(idempotencyKeys.status)))
      .catch(() => {}); // the next tick tries again; a dead request's claim goes stale
  }, RENEW_MS);
  try {
    await next();
  } finally {
    clearInterval(renew);
  }
  if (c.var.idempotency?.claimed) await storeResponse(c, key);
});
