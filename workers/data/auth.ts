/** Data access for accounts and sessions. */
import { and, desc, eq, gt, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { CONSTRAINT, sessions, users } from "../../db/schema";
import { AppError, uniqueViolation } from "../errors";
import { SESSION_TTL_MS } from "../protocol/rules";
import { WELCOME_COINS } from "../protocol/market-rules";
import { SETTINGS_DEFAULTS } from "../protocol/settings";
import { DUMMY_PASSWORD_HASH, randomToken, sha256Hex, verifyPassword } from "../lib/crypto";
import type { Scope } from "../sync/scope";
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

/**
 * A new account — `scope` is its own (its id chosen by the caller) — with its
 * settings record and its wallet with the welcome grant (the first entries of
 * its change log) and its first session, in ONE statement (continuum_signup(),
 * db/migrations/0013_one_call_signup.sql): no account without a token, no
 * account without its coins. 409 `email_taken` / `username_taken`.
 */
export async function signUp(
  scope: Scope,
  account: { email: string; username: string; passwordHash: string; userAgent: string | undefined },
) {
  const token = newSessionToken(scope.userId);
  try {
    const r = await scope.call<{ user: { id: string; email: string; username: string; created_at: string } }>(
      sql`select continuum_signup(${scope.userId}, ${account.email}, ${account.username}, ${account.passwordHash},
        ${JSON.stringify(SETTINGS_DEFAULTS)}::jsonb, ${WELCOME_COINS}, ${await sha256Hex(token)},
        ${account.userAgent?.slice(0, 300) ?? null}, ${new Date(Date.now() + SESSION_TTL_MS).toISOString()}::timestamptz) as r`,
    );
    return { user: { ...r.user, createdAt: new Date(r.user.created_at) }, token };
  } catch (err) {
    const constraint = uniqueViolation(err);
    if (constraint === undefined) throw err;
    const field = constraint === CONSTRAINT.usersUsername ? "username" : "email";
    throw new AppError(409, `${field}_taken`, `An account with this ${field} already exists.`);
  }
}

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

/**
 * "The request's own session is a signed-in device", as SQL: minting tokens and revoking sessions
 * carry it in their statement, so a pipelined route (its first query carries the session check)
 * needs no round trip to learn the session's kind first. `tokenHash` is the request's
 * (middleware/auth.ts `sessionTokenHash`); row-level security limits it to the user's sessions.
 */
const byDevice = (tokenHash: string) =>
  sql`exists (select 1 from ${sessions} me where me.token_hash = ${tokenHash} and me.kind = 'device')`;

/** A new personal access token, only when the request comes from a signed-in device; undefined otherwise. */
export async function createPersonalToken(
  db: Db,
  userId: string,
  name: string,
  scope: "full" | "mcp",
  requester: string,
) {
  // Named after its user like a session's (`<user id>.<secret>`): the check can then lead the
  // request's first query (one round trip at /mcp too); tokens minted before stay valid, checked first.
  const token = newSessionToken(userId);
  const { rows } = await db.execute<{ id: string; created_at: string }>(sql`
    insert into ${sessions} (user_id, token_hash, kind, name, scope, expires_at)
    select ${userId}, ${await sha256Hex(token)}, 'token', ${name}, ${scope}, ${NEVER.toISOString()}::timestamptz
    where ${byDevice(requester)}
    returning id, created_at`);
  const row = rows[0];
  return row && { token, id: row.id, createdAt: new Date(row.created_at) };
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

/**
 * Ends every session and token of the user but the requester's own, when the requester is a
 * signed-in device (one statement); returns the ids that ended, or undefined when it is not a device.
 */
export async function deleteOtherSessions(db: Db, userId: string, requester: string): Promise<string[] | undefined> {
  const { rows } = await db.execute<{ device: boolean; id: string | null }>(sql`
    with device as (select ${byDevice(requester)} as ok),
    ended as (delete from ${sessions} where user_id = ${userId} and token_hash <> ${requester}
      and (select ok from device) returning id)
    select (select ok from device) as device, ended.id from device left join ended on true`);
  if (!rows[0]?.device) return undefined;
  return rows.flatMap((r) => (r.id ? [r.id] : []));
}

/** The stored password hash, for "enter your password again" (undefined: no such user). */
export async function storedPasswordHash(db: Db, userId: string): Promise<string | undefined> {
  const [row] = await db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId)).limit(1);
  return row?.hash;
}

/**
 * Checks a password entered again against the hash read before (PBKDF2, in the Worker); a missing
 * user costs the same work.
 */
export async function passwordVerifies(password: string, stored: string | undefined): Promise<boolean> {
  const ok = await verifyPassword(password, stored ?? DUMMY_PASSWORD_HASH);
  return ok && stored !== undefined;
}

/**
 * Sets a new password hash — only if the stored one is still `previous` (the one just checked) —
 * and ends every other session and token of the user, in one statement (both or neither).
 * Returns the ids that ended, or undefined when the password had changed meanwhile.
 */
export async function replacePassword(
  db: Db,
  userId: string,
  previous: string,
  hash: string,
  requester: string,
): Promise<string[] | undefined> {
  const { rows } = await db.execute<{ changed: boolean; id: string | null }>(sql`
    with pw as (update ${users} set password_hash = ${hash} where id = ${userId} and password_hash = ${previous}
      returning id),
    ended as (delete from ${sessions} where user_id = (select id from pw) and token_hash <> ${requester} returning id)
    select exists (select 1 from pw) as changed, ended.id from (select 1) one left join ended on true`);
  if (!rows[0]?.changed) return undefined;
  return rows.flatMap((r) => (r.id ? [r.id] : []));
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

/** Ends one of the user's sessions or tokens, when the request comes from a signed-in device. */
export async function revokeSession(
  db: Db,
  userId: string,
  id: string,
  requester: string,
): Promise<{ device: boolean; ended: boolean }> {
  const { rows } = await db.execute<{ device: boolean; id: string | null }>(sql`
    with device as (select ${byDevice(requester)} as ok),
    ended as (delete from ${sessions} where id = ${id} and user_id = ${userId} and (select ok from device) returning id)
    select (select ok from device) as device, ended.id from device left join ended on true`);
  return { device: rows[0]?.device === true, ended: rows.some((r) => r.id !== null) };
}
