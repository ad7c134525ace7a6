/** SPEC §5 Auth: signup, login, logout, me, devices (sessions) and revoke. */
import { getCookie } from "hono/cookie";
import { z } from "zod";
import { deleteAccountObjects, deleteAccountRows } from "../data/account";
import {
  createSession,
  findUserByLogin,
  listSessions,
  passwordVerifies,
  renameDevice,
  revokeSession,
  signUp,
  storedPasswordHash,
} from "../data/auth";
import { AppError, notFound } from "../errors";
import { ErrorCode, SESSION_COOKIE, SIGNED_IN_COOKIE } from "../protocol/rules";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../lib/crypto";
import { confirmed, createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { isKnownDevice, rememberDevice } from "../lib/known-device";
import { clientIp, enforceRateLimit, limitLogin } from "../lib/rate-limit";
import {
  clearSessionCookies,
  endOwnSession,
  requireDeviceSession,
  sessionTokenHash,
  setSessionCookie,
} from "../middleware/auth";
import {
  authResponseSchema,
  deleteAccountSchema,
  deviceSessionSchema,
  loginSchema,
  renameDeviceSchema,
  signupSchema,
  userSchema,
  userToWire,
} from "../protocol/auth";
import { isUuid, pageQuery, paged, pageResponse } from "../protocol/common";
import { closeSessionSockets, endSessionSockets } from "../sync/relay";
import { scopeOf } from "../http/record";

export const auth = createApi();
const tags = ["Auth"];
const authed = jsonContent(authResponseSchema, "The user and a session token (also set as the `session` cookie)");

register(
  auth,
  route({
    method: "post",
    path: "/signup",
    session: "none",
    tags,
    operationId: "signup",
    request: jsonRequest(signupSchema),
    responses: { 201: authed },
    errors: [400, 409, 413, 415, 422, 429],
  }),
  async (c) => {
    const body = c.req.valid("json");
    await enforceRateLimit(c.env.AUTH_LIMITER, `signup:${clientIp(c.req)}`);
    const passwordHash = await hashPassword(body.password);
    const userId = crypto.randomUUID();
    c.var.dbHandle.actAs(userId); // row-level security: the new account's rows are written as it
    const { user, token } = await signUp(scopeOf(c, userId), {
      email: body.email,
      username: body.username,
      passwordHash,
      userAgent: c.req.header("user-agent"),
    });
    setSessionCookie(c, token);
    await rememberDevice(c, { id: userId, passwordHash });
    return c.json({ user: userToWire(user), token }, 201);
  },
);

register(
  auth,
  route({
    method: "post",
    path: "/login",
    session: "none",
    tags,
    operationId: "login",
    description: "`login` is the email or the username; 401 `invalid_credentials` alike for both failures.",
    request: jsonRequest(loginSchema),
    responses: { 200: authed },
    errors: [400, 401, 413, 415, 422, 429],
  }),
  async (c) => {
    const { login, password } = c.req.valid("json");
    const user = await findUserByLogin(c.var.db, login);
    // Email and username of one account share its buckets (see lib/rate-limit.ts).
    await limitLogin(c.env, clientIp(c.req), user?.id ?? login.trim().toLowerCase(), {
      knownDevice: await isKnownDevice(c, user),
    });
    // Verify against a dummy hash for unknown users: same work, same answer.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) throw new AppError(401, "invalid_credentials", "The login or password is incorrect.");
    c.var.dbHandle.actAs(user.id);
    const { token } = await createSession(c.var.db, user.id, c.req.header("user-agent"));
    setSessionCookie(c, token);
    await rememberDevice(c, user);
    return c.json({ user: userToWire(user), token }, 200);
  },
);

register(
  auth,
  route({
    method: "post",
    path: "/logout",
    tags,
    operationId: "logout",
    // Idempotent by nature: a session that is already gone (a retry whose first attempt succeeded,
    // an expired cookie) is signed out too — 204, never 401. No session middleware: the session
    // check leads the delete itself (endOwnSession), one round trip. 403: a cross-site cookie request.
    session: "none",
    description:
      "Ends this session (the bearer token or the session cookie); without a live session there is nothing to end (204 as well).",
    responses: { 204: { description: "Signed out; this device's sockets close" } },
    errors: [403],
  }),
  async (c) => {
    const ended = await endOwnSession(c);
    if (ended) closeSessionSockets(c, ended.userId, [ended.sessionId]);
    clearSessionCookies(c);
    return c.body(null, 204);
  },
);

register(
  auth,
  route({
    method: "get",
    path: "/me",
    tags,
    operationId: "me",
    responses: { 200: jsonContent(z.object({ user: userSchema }), "The signed-in user") },
  }),
  (c) => c.json({ user: userToWire(c.var.user) }),
);

register(
  auth,
  route({
    method: "get",
    path: "/session",
    session: "optional",
    tags,
    operationId: "currentSession",
    description:
      "Who is signed in on this device, or `null`: the app's first request, answered 200 either way so a signed-out visit logs no error.",
    responses: { 200: jsonContent(z.object({ user: z.union([userSchema, z.null()]) }), "The user, or null") },
  }),
  (c) => {
    // A cookie that names no live session (expired, revoked elsewhere): both cookies go, so the app's
    // next load knows it is signed out without asking.
    if (!c.var.user && (getCookie(c, SESSION_COOKIE) || getCookie(c, SIGNED_IN_COOKIE))) clearSessionCookies(c);
    return c.json({ user: c.var.user ? userToWire(c.var.user) : null });
  },
);

register(
  auth,
  route({
    pipelined: true,
    method: "get",
    path: "/sessions",
    tags,
    operationId: "listSessions",
    description: "This user's live devices and personal access tokens, most recently used first (a §3 list).",
    request: { query: z.strictObject({ ...pageQuery }) },
    responses: { 200: jsonContent(paged(deviceSessionSchema), "This user's devices") },
    errors: [400],
  }),
  async (c) => {
    const q = c.req.valid("query");
    const { items, total } = await listSessions(c.var.db, c.var.user.id, q);
    const { sessionId } = (await confirmed(c)).var; // no round trip: the list query carried the check
    return c.json(
      pageResponse(
        q,
        items.map((s) => ({
          id: s.id,
          user_agent: s.userAgent,
          created_at: s.createdAt.toISOString(),
          last_seen_at: s.lastSeenAt.toISOString(),
          expires_at: s.expiresAt.toISOString(),
          current: s.id === sessionId,
          kind: s.kind,
          name: s.name,
          scope: s.scope,
          device_name: s.deviceName,
        })),
        total,
      ),
    );
  },
);

register(
  auth,
  route({
    method: "put",
    path: "/sessions/{id}",
    tags,
    operationId: "renameDevice",
    description: "Gives a signed-in device a name of the user's choosing, so sessions can be told apart.",
    // Its first effect is the update: the session check travels with it.
    pipelined: true,
    request: { params: idParam("id"), ...jsonRequest(renameDeviceSchema) },
    responses: { 204: { description: "Renamed" } },
    errors: [400, 404, 413, 415, 422],
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { device_name } = c.req.valid("json");
    if (!isUuid(id) || !(await renameDevice(c.var.db, c.var.user.id, id, device_name))) throw notFound("Device");
    return c.body(null, 204);
  },
);

register(
  auth,
  route({
    method: "delete",
    path: "/sessions/{id}",
    tags,
    operationId: "revokeSession",
    pipelined: true,
    description:
      "Signs that device out at once (its sockets close). Only from a signed-in device: a personal access token gets 403 `device_session_required`.",
    request: { params: idParam("id") },
    responses: { 204: { description: "Revoked" } },
    errors: [403, 404],
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    // One statement, led by the session check: it deletes only if this session is a device.
    const { ended } = isUuid(id)
      ? await revokeSession(c.var.db, c.var.user.id, id, await sessionTokenHash(c))
      : { ended: false };
    const full = await confirmed(c); // no round trip once a query carried the check
    requireDeviceSession(full); // 403 for a personal access token (nothing was deleted)
    if (!ended) throw notFound("Session");
    closeSessionSockets(full, full.var.user.id, [id]);
    if (id === full.var.sessionId) clearSessionCookies(c);
    return c.body(null, 204);
  },
);

register(
  auth,
  route({
    method: "delete",
    path: "/account",
    tags,
    operationId: "deleteAccount",
    pipelined: true,
    description:
      "Deletes the signed-in account with the password entered again: every record, audio file, session and " +
      "token; open sockets close. Remixes others made of the user's public loops stay, attributed to a deleted " +
      "user (README, Your data). A wrong password is 403 `wrong_password` and is rate limited like a login.",
    request: jsonRequest(deleteAccountSchema),
    responses: { 204: { description: "Deleted; the session cookie is cleared" } },
    errors: [400, 413, 415, 429],
  }),
  async (c) => {
    const { password } = c.req.valid("json");
    const userId = c.var.user.id;
    // Two round trips, the named exception: the stored hash is read (with the session check) and
    // checked here (PBKDF2) before anything may be deleted; then one call deletes every row.
    const stored = await storedPasswordHash(c.var.db, userId);
    const full = await confirmed(c); // no round trip: the read carried the check
    await limitLogin(full.env, clientIp(c.req), userId);
    if (!(await passwordVerifies(password, stored)))
      throw new AppError(403, ErrorCode.wrong_password, "The password is incorrect.");
    // Deleting an account corrects other users' rows too (their remixes' parent, counters, like records):
    // after the password check, the rest of this request runs as the jobs role (row-level security,
    // docs/ARCHITECTURE.md "Isolation in the database").
    full.var.dbHandle.asJobs();
    const { sessions, uploads } = await deleteAccountRows(scopeOf(full));
    await deleteAccountObjects(full.env.AUDIO, userId, uploads);
    // Not best effort: every device of the account loses its live feed now (the hub's alarm is the backstop).
    await endSessionSockets(full.env, userId, sessions);
    clearSessionCookies(c);
    return c.body(null, 204);
  },
);
