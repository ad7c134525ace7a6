/** SPEC §5 Auth: signup, login, logout, me, devices (sessions) and revoke. */
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { Context } from "hono";
import { createSession, deleteSession, findUserByLogin, insertUser, listSessions } from "../data/auth";
import type { AppEnv } from "../env";
import { AppError, notFound, uniqueViolation } from "../errors";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../lib/crypto";
import { clientIp, enforceRateLimit } from "../lib/rate-limit";
import { jsonBody } from "../lib/validate";
import { requireAuth, SESSION_COOKIE, SESSION_TTL_MS } from "../middleware/auth";
import { loginSchema, signupSchema, userToWire } from "../protocol/auth";
import { SETTINGS_DEFAULTS } from "../protocol/settings";
import { write } from "../sync/write";
import { userHub } from "../sync/relay";

function setSessionCookie(c: Context<AppEnv>, token: string) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: SESSION_TTL_MS / 1000,
  });
}

const closeDeviceSockets = (c: Context<AppEnv>, sessionId: string) =>
  c.executionCtx.waitUntil(
    userHub(c.env, c.var.user.id)
      .closeSession(sessionId)
      .catch(() => {}),
  );

export const auth = new Hono<AppEnv>()
  .post("/signup", jsonBody(signupSchema), async (c) => {
    const body = c.req.valid("json");
    await enforceRateLimit(c.env.AUTH_LIMITER, `signup:${clientIp(c.req)}`);
    const passwordHash = await hashPassword(body.password);
    const userId = crypto.randomUUID();
    try {
      // The account and its settings record (the first entry of its change log) in one transaction.
      const user = await write(
        c,
        async (w) => {
          const created = await insertUser(w.db, {
            id: userId,
            email: body.email,
            username: body.username,
            passwordHash,
          });
          await w.insert("settings", SETTINGS_DEFAULTS);
          return created;
        },
        { transaction: true, userId },
      );
      const { token } = await createSession(c.var.db, user.id, c.req.header("user-agent"));
      setSessionCookie(c, token);
      return c.json({ user: userToWire(user), token }, 201);
    } catch (err) {
      const constraint = uniqueViolation(err);
      if (constraint === undefined) throw err;
      const field = constraint.includes("username") ? "username" : "email";
      throw new AppError(409, `${field}_taken`, `An account with this ${field} already exists.`);
    }
  })
  .post("/login", jsonBody(loginSchema), async (c) => {
    const { login, password } = c.req.valid("json");
    await enforceRateLimit(c.env.AUTH_LIMITER, `login:${clientIp(c.req)}:${login.trim().toLowerCase()}`);
    const user = await findUserByLogin(c.var.db, login);
    // Verify against a dummy hash for unknown users: same work, same answer.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) throw new AppError(401, "invalid_credentials", "The login or password is incorrect.");
    const { token } = await createSession(c.var.db, user.id, c.req.header("user-agent"));
    setSessionCookie(c, token);
    return c.json({ user: userToWire(user), token }, 200);
  })
  .use(requireAuth)
  .post("/logout", async (c) => {
    await deleteSession(c.var.db, c.var.user.id, c.var.sessionId);
    closeDeviceSockets(c, c.var.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
    return c.body(null, 204);
  })
  .get("/me", (c) => c.json({ user: userToWire(c.var.user) }))
  .get("/sessions", async (c) => {
    const rows = await listSessions(c.var.db, c.var.user.id);
    return c.json({
      items: rows.map((s) => ({
        id: s.id,
        user_agent: s.userAgent,
        created_at: s.createdAt.toISOString(),
        last_seen_at: s.lastSeenAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        current: s.id === c.var.sessionId,
      })),
    });
  })
  .delete("/sessions/:id", async (c) => {
    const id = c.req.param("id");
    const uuidLike = /^[0-9a-f-]{36}$/i.test(id);
    if (!uuidLike || !(await deleteSession(c.var.db, c.var.user.id, id))) throw notFound("Session");
    closeDeviceSockets(c, id);
    if (id === c.var.sessionId) deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
    return c.body(null, 204);
  });
