/** Data access for accounts and sessions. */
import { and, desc, eq, gt, ne, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { sessions, users } from "../../db/schema";
import { SESSION_TTL_MS } from "../protocol/rules";
import { DUMMY_PASSWORD_HASH, randomToken, sha256Hex, verifyPassword } from "../lib/crypto";
import { paginate, type PageQuery } from "./paginate";

export async function findUserByLogin(db: Db, login: string) {
  const l = login.trim().toLowerCase();
  const [row] = await db
    .select()
    .from(users)
    .where(or(eq(sql`lower(${users.email})`, l), eq(users.username, l)))
    .limit(1);
  return row;
}

/**
 * Creates a session and returns the token: the only time it exists in clear.
 * Tokens are `<user id>.<secret>`: the id lets a request's first query travel
 * with its session check (middleware/auth.ts); the secret is what is checked.
 */
export const newSessionToken = (userId: string) => `${userId}.${randomToken()}`;

export async function createSession(db: Db | Tx, userId: string, userAgent: string | undefined) {
  const token = newSessionToken(userId);
  const [row] = await db
    .insert(sessions)
    .values({
      userId,
      tokenHash: await sha256Hex(token),
      userAgent: userAgent?.slice(0, 300) ?? null,
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
    })
    .returning({ id: sessions.id });
  return { token, sessionId: row!.id };
}

/** Personal access tokens live until revoked (no sliding expiry; see middleware/auth.ts). */
const NEVER = new Date("9999-12-31T00:00:00Z");

export async function createPersonalToken(db: Db, userId: string, name: string, scope: "full" | "mcp") {
  const token = randomToken();
  const [row] = await db
    .insert(sessions)
    .values({ userId, tokenHash: await sha256Hex(token), kind: "token", name, scope, expiresAt: NEVER })
    .returning({ id: sessions.id, createdAt: sessions.createdAt });
  return { token, id: row!.id, createdAt: row!.createdAt };
}

/** A page of the user's live sessions and tokens, most recently used first, with the total (one query). */
export const listSessions = (db: Db, userId: string, q: PageQuery) =>
  paginate(
    db,
    sessions,
    {
      where: and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)),
      orderBy: [desc(sessions.lastSeenAt), desc(sessions.id)],
    },
    q,
  );

/** Ends every session and token of the user but `keep` (one statement); returns the ids that ended. */
export async function deleteOtherSessions(db: Db, userId: string, keep: string): Promise<string[]> {
  const rows = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keep)))
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}

/**
 * Sets a new password hash and ends every other session and token, in one
 * statement (both or neither); returns the ids that ended.
 */
export async function replacePassword(db: Db, userId: string, hash: string, keep: string): Promise<string[]> {
  const result = await db.execute<{ id: string }>(sql`
    with pw as (update users set password_hash = ${hash} where id = ${userId} returning id),
    ended as (delete from sessions where user_id = (select id from pw) and id <> ${keep} returning id)
    select id from ended`);
  return result.rows.map((r) => r.id);
}

/** Names one of the user's device sessions; false when it isn't theirs or isn't a device. */
export async function renameDevice(db: Db, userId: string, id: string, name: string | null): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ deviceName: name })
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId), eq(sessions.kind, "device")))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

export async function deleteSession(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/**
 * "Enter your password again" for a signed-in user (account deletion, password
 * change): the stored hash is read fresh; a missing user costs the same work.
 */
export async function passwordMatches(db: Db, userId: string, password: string): Promise<boolean> {
  const [row] = await db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId)).limit(1);
  const ok = await verifyPassword(password, row?.hash ?? DUMMY_PASSWORD_HASH);
  return ok && row !== undefined;
}
