/**
 * Session authentication, on every request, against Postgres (no cache: the
 * Worker is stateless). One indexed query reads the session and the user,
 * including the user's sync cursor so an idle sync poll needs nothing more.
 */
import { and, eq, gt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { sessions, users } from "../../db/schema";
import type { Db } from "../../db/client";
import type { AppEnv, AuthUser } from "../env";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/crypto";

export const SESSION_COOKIE = "session";
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Sliding expiry is refreshed at most this often, to keep reads read-only. */
const REFRESH_AFTER_MS = 24 * 3600 * 1000;

export function readToken(c: Context): string | undefined {
  const auth = c.req.header("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim() || undefined;
  return getCookie(c, SESSION_COOKIE) || undefined;
}

export async function authenticate(db: Db, token: string): Promise<{ user: AuthUser; sessionId: string } | null> {
  const tokenHash = await sha256Hex(token);
  const [row] = await db
    .select({
      sessionId: sessions.id,
      lastSeenAt: sessions.lastSeenAt,
      id: users.id,
      email: users.email,
      username: users.username,
      createdAt: users.createdAt,
      changeSeq: users.changeSeq,
      changeFloor: users.changeFloor,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, sql`now()`)))
    .limit(1);
  if (!row) return null;
  if (Date.now() - row.lastSeenAt.getTime() > REFRESH_AFTER_MS) {
    await db
      .update(sessions)
      .set({ lastSeenAt: sql`now()`, expiresAt: new Date(Date.now() + SESSION_TTL_MS) })
      .where(eq(sessions.id, row.sessionId));
  }
  const { sessionId, lastSeenAt: _seen, ...user } = row;
  return { user, sessionId };
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = readToken(c);
  const found = token ? await authenticate(c.var.db, token) : null;
  if (!found) throw new AppError(401, "unauthorized", "Sign in to continue.");
  c.set("user", found.user);
  c.set("sessionId", found.sessionId);
  await next();
});
