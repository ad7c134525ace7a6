/**
 * Session authentication, on every request, against Postgres (no cache: the
 * Worker is stateless). One indexed query reads the session and the user,
 * including the user's sync cursor so an idle sync poll needs nothing more —
 * and, for a mutation with an Idempotency-Key, claims that key in the same
 * statement (see ./idempotency.ts), so idempotency costs no extra round trip
 * up front.
 */
import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Db } from "../../db/client";
import { sessions } from "../../db/schema";
import type { AppEnv, AuthUser, IdempotencyRequest, IdempotencyState } from "../env";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { ErrorCode } from "../protocol/rules";

export const SESSION_COOKIE = "session";
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Sliding expiry is refreshed at most this often, to keep reads read-only. */
const REFRESH_AFTER_MS = 24 * 3600 * 1000;

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

/** The session cookie, valid as long as the session (re-set whenever the expiry slides). */
export function setSessionCookie(c: Context, token: string) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: SESSION_TTL_MS / 1000,
  });
}

interface SessionRow {
  session_id: string;
  last_seen_at: string | Date;
  expires_at: string | Date;
  id: string;
  email: string;
  username: string;
  created_at: string | Date;
  change_seq: string | number;
  change_floor: string | number;
  claimed: boolean;
  k_request_hash: string | null;
  k_status: number | null;
  k_headers: Record<string, string> | null;
  k_body: string | null;
}

export async function authenticate(
  db: Db,
  token: string,
  claim?: IdempotencyRequest,
): Promise<{
  user: AuthUser;
  sessionId: string;
  /** When the session ends (after sliding, if it slid now). */
  expiresAt: Date;
  /** The expiry slid forward in this request: a cookie should follow. */
  refreshed: boolean;
  idempotency?: IdempotencyState;
} | null> {
  const tokenHash = await sha256Hex(token);
  const key = claim?.key ?? null;
  // `prior` reads the snapshot from before this statement, so it is an earlier
  // use of the key; a concurrent first use shows as neither claimed nor prior.
  const result = await db.execute(sql`
    with s as (
      select s.id as session_id, s.last_seen_at, s.expires_at, u.id, u.email, u.username, u.created_at, u.change_seq, u.change_floor
      from sessions s join users u on u.id = s.user_id
      where s.token_hash = ${tokenHash} and s.expires_at > now()
      limit 1),
    claim as (
      insert into idempotency_keys (user_id, key, request_hash)
      select id, ${key}, ${claim?.requestHash ?? null} from s where ${key}::text is not null
      on conflict do nothing
      returning key)
    select s.*, exists (select 1 from claim) as claimed,
      k.request_hash as k_request_hash, k.status as k_status, k.headers as k_headers, k.body as k_body
    from s left join idempotency_keys k on k.user_id = s.id and k.key = ${key}`);
  const row = result.rows[0] as unknown as SessionRow | undefined;
  if (!row) return null;
  let expiresAt = new Date(row.expires_at);
  const refreshed = Date.now() - new Date(row.last_seen_at).getTime() > REFRESH_AFTER_MS;
  if (refreshed) {
    expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await db
      .update(sessions)
      .set({
        lastSeenAt: sql`now()`,
        // Only devices slide; a personal access token (kind `token`) lives until revoked.
        expiresAt: sql`case when ${sessions.kind} = 'device' then ${expiresAt.toISOString()}::timestamptz else ${sessions.expiresAt} end`,
      })
      .where(eq(sessions.id, row.session_id));
  }
  const user: AuthUser = {
    id: row.id,
    email: row.email,
    username: row.username,
    createdAt: new Date(row.created_at),
    changeSeq: Number(row.change_seq),
    changeFloor: Number(row.change_floor),
  };
  const prior =
    row.k_request_hash === null
      ? null
      : { requestHash: row.k_request_hash, status: row.k_status, headers: row.k_headers, body: row.k_body };
  return {
    user,
    sessionId: row.session_id,
    expiresAt,
    refreshed,
    ...(claim ? { idempotency: { claimed: row.claimed, prior } } : {}),
  };
}

/**
 * Authenticates the request into the context; false without a live session.
 * When the expiry slides, a cookie-authenticated browser gets a fresh cookie
 * too (its Max-Age was set at login), so an active user is never signed out.
 */
export async function signIn(c: Context<AppEnv>): Promise<boolean> {
  const cred = readCredential(c);
  const found = cred ? await authenticate(c.var.db, cred.token, c.var.idempotencyRequest) : null;
  if (!found) return false;
  c.set("user", found.user);
  c.set("sessionId", found.sessionId);
  c.set("sessionExpiresAt", found.expiresAt);
  if (found.idempotency) c.set("idempotency", found.idempotency);
  if (found.refreshed && cred!.via === "cookie") setSessionCookie(c, cred!.token);
  return true;
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await signIn(c))) throw new AppError(401, ErrorCode.unauthorized, "Sign in to continue.");
  await next();
});

/** Signs in when there is a live session; carries on without one (`c.var.user` unset). */
export const optionalAuth = createMiddleware<AppEnv>(async (c, next) => {
  await signIn(c);
  await next();
});
