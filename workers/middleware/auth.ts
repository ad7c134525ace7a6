/**
 * Session authentication, on every request, against Postgres (no cache: the
 * Worker is stateless), in one of two ways (the SQL is below):
 *
 *  - **Pipelined** (routes declared `pipelined: true` in `route()`, when the token names its user): the session
 *    check — with the Idempotency-Key claim — is queued to lead the request's
 *    first database query, and both go as ONE non-interactive transaction in
 *    one HTTP request (db/client.ts `lead()`). The check raises when the
 *    session is not valid or the key was used before, so nothing batched after
 *    it commits; the handler's result is only sent once the check has passed.
 *    An authenticated read or a keyed write costs one round trip.
 *  - **Awaited** (every other signed-in route, and tokens without a user id — personal access
 *    tokens minted before they named their user):
 *    the check runs first and the handler after it. These routes need the
 *    session id or the user's name up front, hand the socket to the user's
 *    Durable Object, write to R2 or call a model before any query.
 *
 * Which one a route gets is declared at the route, and the handler's context
 * type follows (env.ts `PipelinedEnv`): a pipelined handler sees `user.id`
 * and the database only; `confirmed(c)` gives it the rest once the check has
 * passed.
 */
import { eq, sql, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "../../db/client";
import { sessions } from "../../db/schema";
import type { AppEnv, AuthUser, IdempotencyRequest, IdempotencyState, PipelinedEnv, PublicEnv } from "../env";
import { AppError, databaseUnavailable, isDatabaseUnavailable, pgError, SQLSTATE, unauthorized } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { ErrorCode, SESSION_COOKIE, SESSION_TTL_MS, SIGNED_IN_COOKIE } from "../protocol/rules";
import {
  afterUncommittedBatch,
  claimArgs,
  claimPipelined,
  claimState,
  dropClaim,
  type ClaimColumns,
} from "./idempotency";

/*
 * ── The session check as SQL ──
 * One statement (the function continuum_session) reads the session and its
 * user (with the sync cursor, so an idle poll needs nothing more), sets the
 * user for row-level security for the rest of the transaction and, for a
 * mutation with an Idempotency-Key, claims the key (./idempotency.ts).
 *
 * Two forms:
 *  - `inspect`: returns the row (none = not signed in) and what an earlier use
 *    of the key left behind — for requests that await authentication first;
 *  - `refuse`: the statement that leads a request's first database batch
 *    (pipelinedAuth below). It names the user the token claims to belong to
 *    and raises (continuum_refuse(), db/migrations/0008_latency_custom.sql)
 *    when the session is not valid (CN401) or the key was used before
 *    (CN409), so whatever was batched after it in the same transaction never
 *    commits.
 */

/** Session tokens are `<user id>.<secret>`; the id lets a request's first query be sent with the check. */
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{20,}$/;
export const tokenUserId = (token: string): string | undefined => TOKEN.exec(token)?.[1];

/** A session, its user and (./idempotency.ts) what the check did with the key. */
export interface SessionRow extends ClaimColumns {
  session_id: string;
  /** `device` (signed in; slides) or `token` (a personal access token; lives until revoked). */
  kind: string;
  scope: string;
  last_seen_at: string | Date;
  expires_at: string | Date;
  id: string;
  email: string;
  username: string;
  created_at: string | Date;
  change_seq: string | number;
  change_floor: string | number;
}

export function sessionSql(
  tokenHash: string,
  claim: IdempotencyRequest | undefined,
  /** `mcpScope`: a personal access token scoped to `mcp` passes too (POST /mcp only). */
  mode: { inspect: true } | { refuse: true; userId: string; mcpScope?: boolean },
): SQL {
  // continuum_session() (db/migrations/0018_row_level_security.sql) also sets the request's user for
  // row-level security: the statements after it in the same transaction see only that user's rows.
  if (!("refuse" in mode))
    return sql`select * from continuum_session(${tokenHash}, null::uuid, ${claimArgs(claim)}, false)`;
  const found = sql`continuum_session(${tokenHash}, ${mode.userId}::uuid, ${claimArgs(claim)}, true)`;
  if (mode.mcpScope) return sql`select * from ${found}`;
  // Personal access tokens name their user too, so an `mcp`-scoped one reaches this check on any
  // pipelined route: it is refused here like a dead session (CN401), nothing batched after it commits.
  return sql`select * from ${found} s
    where case when s.scope = 'full' then true else continuum_refuse('CN401', 'token scope') end`;
}

export const userOf = (row: SessionRow): AuthUser => ({
  id: row.id,
  email: row.email,
  username: row.username,
  createdAt: new Date(row.created_at),
  changeSeq: Number(row.change_seq),
  changeFloor: Number(row.change_floor),
});

// ── Signing in ──

/** Sliding expiry is refreshed at most this often, to keep reads read-only. */
const REFRESH_AFTER_MS = 24 * 3600 * 1000;
const TOKEN_SEEN_EVERY_MS = 3600 * 1000;
const dialect = new PgDialect();

/** The session token and where it came from (a bearer header wins over the cookie). */
function readCredential(c: Context): { token: string; via: "bearer" | "cookie" } | undefined {
  const auth = c.req.header("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) {
    const token = auth.slice(7).trim();
    return token ? { token, via: "bearer" } : undefined;
  }
  const token = getCookie(c, SESSION_COOKIE);
  return token ? { token, via: "cookie" } : undefined;
}

/**
 * The session cookie, valid as long as the session (re-set whenever the expiry
 * slides), and beside it the readable `signed_in` marker with the same life.
 */
export function setSessionCookie(c: Context, token: string) {
  const life = { secure: true, sameSite: "Lax", path: "/", maxAge: SESSION_TTL_MS / 1000 } as const;
  setCookie(c, SESSION_COOKIE, token, { ...life, httpOnly: true });
  setCookie(c, SIGNED_IN_COOKIE, "1", life);
}

/** Both cookies gone: signed out, or the browser's session no longer exists. */
export function clearSessionCookies(c: Context) {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
  deleteCookie(c, SIGNED_IN_COOKIE, { path: "/", secure: true });
}

/**
 * The verified session into the context: its user (and row-level security:
 * every later query runs as that user), the session's id, kind and expiry.
 */
function enter(c: Context<AppEnv>, row: SessionRow): AuthUser {
  const user = userOf(row);
  c.var.dbHandle.actAs(user.id);
  c.set("user", user);
  c.set("sessionId", row.session_id);
  c.set("sessionKind", row.kind === "token" ? "token" : "device");
  c.set("sessionExpiresAt", new Date(row.expires_at));
  return user;
}

/**
 * Enters the verified session (above). When the sliding expiry is due (once a
 * day per session), it is written before the response, and a
 * cookie-authenticated browser gets a fresh cookie with it (its Max-Age was set
 * at login), so an active user is never signed out.
 */
export async function establish(
  c: Context<AppEnv>,
  row: SessionRow,
  cred: { token: string; via: "bearer" | "cookie" },
): Promise<void> {
  enter(c, row);
  // A token's "last used" (Settings) is kept to the hour; a device's to the day, with its sliding expiry.
  const refreshAfter = row.kind === "token" ? TOKEN_SEEN_EVERY_MS : REFRESH_AFTER_MS;
  if (Date.now() - new Date(row.last_seen_at).getTime() > refreshAfter) {
    // Only devices slide; a personal access token (kind `token`) lives until revoked.
    const slides = row.kind === "device";
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await c.var.db
      .update(sessions)
      .set({ lastSeenAt: sql`now()`, ...(slides ? { expiresAt } : {}) })
      .where(eq(sessions.id, row.session_id));
    if (slides) c.set("sessionExpiresAt", expiresAt);
    if (slides && cred.via === "cookie") setSessionCookie(c, cred.token);
  }
}

export async function authenticate(
  db: Db,
  token: string,
  claim?: IdempotencyRequest,
): Promise<{ row: SessionRow; user: AuthUser; sessionId: string; idempotency?: IdempotencyState } | null> {
  const result = await db.execute(sessionSql(await sha256Hex(token), claim, { inspect: true }));
  const row = result.rows[0] as unknown as SessionRow | undefined;
  if (!row) return null;
  return {
    row,
    user: userOf(row),
    sessionId: row.session_id,
    ...(claim ? { idempotency: claimState(row) } : {}),
  };
}

/**
 * SHA-256 of the request's session token: how a statement names "this session" (e.g. "only if it
 * is a device", data/auth.ts) without waiting for the check to say which session it is.
 */
export async function sessionTokenHash(c: Context): Promise<string> {
  const cred = readCredential(c);
  return cred ? sha256Hex(cred.token) : "";
}

/**
 * Ends the request's own session (logout), if it is live: one round trip — the session check
 * leads the delete (db/client.ts `lead()`), so only the holder of a live token ends it, and a
 * token that is not valid ends nothing (raised by the check: nothing commits). Tokens that do not
 * name their user (personal access tokens) are checked first. Returns what ended.
 */
export async function endOwnSession(c: Context<PublicEnv>): Promise<{ userId: string; sessionId: string } | undefined> {
  const cred = readCredential(c);
  if (!cred) return undefined;
  const hash = await sha256Hex(cred.token);
  const claimedUser = tokenUserId(cred.token);
  const { db, dbHandle } = c.var;
  try {
    let userId = claimedUser;
    if (claimedUser) {
      const q = dialect.sqlToQuery(sessionSql(hash, undefined, { refuse: true, userId: claimedUser }));
      dbHandle.lead(q.sql, q.params);
    } else {
      const found = await authenticate(db, cred.token);
      // A token scoped to `mcp` is accepted at /mcp only (as in signIn).
      if (!found || found.row.scope !== "full") return undefined;
      dbHandle.actAs(found.user.id);
      userId = found.user.id;
    }
    const [row] = await db.delete(sessions).where(eq(sessions.tokenHash, hash)).returning({ id: sessions.id });
    return row && userId ? { userId, sessionId: row.id } : undefined;
  } catch (err) {
    if (pgError(err)?.sqlstate === SQLSTATE.sessionRefused) return undefined; // nothing live to end
    if (isDatabaseUnavailable(err)) throw databaseUnavailable();
    throw err;
  }
}

/**
 * Minting tokens, revoking sessions and changing the password need a signed-in
 * device: a leaked personal access token must not be able to entrench itself
 * (mint more) or lock the owner out (revoke their browsers).
 */
export function requireDeviceSession(c: Context<AppEnv>): void {
  if (c.var.sessionKind !== "device")
    throw new AppError(
      403,
      ErrorCode.device_session_required,
      "Only a signed-in device can do this, not a personal access token.",
    );
}

/**
 * For a route that reads its bearer itself (POST /mcp, routes/mcp.ts): when the
 * token names its user, the session check leads the handler's first query as
 * in `pipelinedAuth` (refusing, so nothing sent with it commits when the
 * session is not valid); a personal access token of either scope passes.
 * Returns the settle: the session's row, or null when the check refused it
 * (the handler's response must then be thrown away).
 */
export async function leadBearerCheck(
  c: Context<AppEnv>,
  token: string,
  userId: string,
): Promise<() => Promise<SessionRow | null>> {
  const handle = c.var.dbHandle;
  const q = dialect.sqlToQuery(sessionSql(await sha256Hex(token), undefined, { refuse: true, userId, mcpScope: true }));
  handle.lead(q.sql, q.params, (r) => void enter(c, r.rows[0] as unknown as SessionRow));
  (c as unknown as Context<PipelinedEnv>).set("user", { id: userId });
  return async () => {
    const outcome = await handle.settle();
    if (outcome && "ok" in outcome) return outcome.ok.rows[0] as unknown as SessionRow;
    const err = outcome?.err;
    if (pgError(err)?.sqlstate === SQLSTATE.sessionRefused) return null;
    throw isDatabaseUnavailable(err) ? databaseUnavailable() : err;
  };
}

/** Awaited authentication into the context; false without a live session. */
export async function signIn(c: Context<AppEnv>): Promise<boolean> {
  const cred = readCredential(c);
  const found = cred ? await authenticate(c.var.db, cred.token, c.var.idempotencyRequest) : null;
  // A personal access token scoped to `mcp` is accepted at /mcp only (routes/mcp.ts), not here
  // (the pipelined path below refuses it in the check's own statement: sessionSql).
  if (!found || found.row.scope !== "full") return false;
  await establish(c, found.row, cred!);
  const user = c.var.user;
  c.set("confirmSession" as never, (async () => user) as never);
  if (found.idempotency) c.set("idempotency", found.idempotency);
  return true;
}

/** Signs in when there is a live session; carries on without one (`c.var.user` unset). */
export const optionalAuth = createMiddleware<AppEnv>(async (c, next) => {
  await signIn(c);
  await next();
});

/** The session check before the handler: it gets a confirmed user. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await signIn(c))) throw unauthorized();
  return next();
});

/**
 * The session check leading the handler's first query (see the file comment).
 * A token that does not name its user is checked first, as in `requireAuth`.
 */
export const pipelinedAuth = createMiddleware<AppEnv>(async (c, next) => {
  const cred = readCredential(c);
  if (!cred) throw unauthorized();
  const token = cred.token;
  const claimedUser = tokenUserId(token);
  const claim = c.var.idempotencyRequest;
  if (!claimedUser) {
    if (!(await signIn(c))) throw unauthorized();
    return next();
  }

  const handle = c.var.dbHandle;
  const vars = c as unknown as Context<PipelinedEnv>;
  const q = dialect.sqlToQuery(sessionSql(await sha256Hex(token), claim, { refuse: true, userId: claimedUser }));
  let confirmedUser: AuthUser | undefined;
  // The session is known as soon as the batch that carried the check returns (what `confirmed(c)`
  // gives the handler); later batches then run as its user (row-level security; the check itself
  // set it for the batch it led).
  handle.lead(q.sql, q.params, (r) => {
    confirmedUser = enter(c, r.rows[0] as unknown as SessionRow);
  });
  vars.set("user", { id: claimedUser });
  vars.set("confirmSession", async () => {
    if (confirmedUser) return confirmedUser;
    const outcome = await handle.settle();
    if (outcome && "ok" in outcome) return confirmedUser ?? userOf(outcome.ok.rows[0] as unknown as SessionRow);
    // Refused (or the database is down): settled below, after the handler, into 401/503/a replay.
    throw outcome?.err ?? unauthorized();
  });
  claimPipelined(c);
  await next();

  const outcome = await handle.settle();
  if (outcome && "ok" in outcome) {
    await establish(c, outcome.ok.rows[0] as unknown as SessionRow, cred);
    return;
  }
  // The check did not pass, so the handler's response is thrown away: what is
  // thrown here replaces it (onError), and nothing is stored under the key.
  const err = outcome?.err;
  const code = pgError(err)?.sqlstate;
  if (code === SQLSTATE.sessionRefused) {
    dropClaim(c);
    throw unauthorized();
  }
  if (isDatabaseUnavailable(err)) {
    dropClaim(c);
    throw databaseUnavailable();
  }
  // Either the key was used before (replay it, or refuse), or the handler's own
  // statement failed and took the check down with it: ask again, on its own.
  // A database going down between the two is a 503, not a 401 (the soak's Postgres restart met it).
  const found = await authenticate(c.var.db, token, claim).catch((e: unknown) => {
    dropClaim(c);
    throw isDatabaseUnavailable(e) || isDatabaseUnavailable(err) ? databaseUnavailable() : e;
  });
  if (!found || found.user.id !== claimedUser) {
    dropClaim(c);
    throw unauthorized();
  }
  await establish(c, found.row, cred);
  const answer = await afterUncommittedBatch(c, code, found.idempotency);
  if (answer) c.res = answer;
});
