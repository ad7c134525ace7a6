/** Data access for accounts and sessions. */
import { and, desc, eq, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { sessions, users } from "../../db/schema";
import { SESSION_TTL_MS } from "../middleware/auth";
import { DUMMY_PASSWORD_HASH, randomToken, sha256Hex, verifyPassword } from "../lib/crypto";

export async function findUserByLogin(db: Db, login: string) {
  const l = login.trim().toLowerCase();
  const [row] = await db
    .select()
    .from(users)
    .where(or(eq(sql`lower(${users.email})`, l), eq(users.username, l)))
    .limit(1);
  return row;
}

export async function insertUser(
  tx: Db | Tx,
  values: { id: string; email: string; username: string; passwordHash: string },
) {
  const [row] = await tx.insert(users).values(values).returning();
  return row!;
}

/**
 * Creates a session and returns the token: the only time it exists in clear.
 * Tokens are `<user id>.<secret>`: the id lets a request's first query travel
 * with its session check (middleware/auth.ts); the secret is what is checked.
 */
export async function createSession(db: Db | Tx, userId: string, userAgent: string | undefined) {
  const token = `${userId}.${randomToken()}`;
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

export async function createPersonalToken(db: Db, userId: string, name: string) {
  const token = randomToken();
  const [row] = await db
    .insert(sessions)
    .values({ userId, tokenHash: await sha256Hex(token), kind: "token", name, expiresAt: NEVER })
    .returning({ id: sessions.id, createdAt: sessions.createdAt });
  return { token, id: row!.id, createdAt: row!.createdAt };
}

export const listSessions = (db: Db, userId: string) =>
  db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt));

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
