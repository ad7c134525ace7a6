/**
 * SPEC §5 Auth: changing the password and "sign out everywhere else". Both
 * need a signed-in device (a personal access token gets 403), and both end
 * every other session and token of the user in one statement and close their
 * sockets before answering (the user's Durable Object; its alarm is the backstop).
 */
import { deleteOtherSessions, passwordVerifies, replacePassword, storedPasswordHash } from "../data/auth";
import { AppError } from "../errors";
import { hashPassword } from "../lib/crypto";
import { confirmed, createApi, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { clientIp, limitLogin } from "../lib/rate-limit";
import { requireDeviceSession, sessionTokenHash } from "../middleware/auth";
import { changePasswordSchema, revokedSchema } from "../protocol/auth";
import { ErrorCode } from "../protocol/rules";
import { endSessionSockets } from "../sync/relay";

export const sessionRoutes = createApi();
const tags = ["Auth"];

register(
  sessionRoutes,
  route({
    method: "post",
    path: "/password",
    tags,
    operationId: "changePassword",
    pipelined: true,
    description:
      "Sets a new password with the current one entered again (403 `wrong_password`, rate limited like a login). Ends every other session and personal access token and closes their sockets; this device stays signed in.",
    request: jsonRequest(changePasswordSchema),
    responses: { 200: jsonContent(revokedSchema, "How many other sessions and tokens ended") },
    errors: [400, 413, 415, 429],
  }),
  async (c) => {
    const { current_password, new_password } = c.req.valid("json");
    const userId = c.var.user.id;
    // Two round trips, the named exception: the stored hash must be read (with the session check)
    // and checked here (PBKDF2) before the new one may be written.
    const stored = await storedPasswordHash(c.var.db, userId);
    const full = await confirmed(c); // no round trip: the read carried the check
    requireDeviceSession(full);
    await limitLogin(full.env, clientIp(c.req), userId);
    if (!(await passwordVerifies(current_password, stored)))
      throw new AppError(403, ErrorCode.wrong_password, "The current password is incorrect.");
    const hash = await hashPassword(new_password);
    const ended = await replacePassword(c.var.db, userId, stored!, hash, await sessionTokenHash(c));
    // Changed by another request since the read: the password just entered is no longer the current one.
    if (!ended) throw new AppError(403, ErrorCode.wrong_password, "The current password is incorrect.");
    await endSessionSockets(full.env, userId, ended);
    return c.json({ revoked: ended.length });
  },
);

register(
  sessionRoutes,
  route({
    method: "post",
    path: "/sessions/revoke_others",
    tags,
    operationId: "revokeOtherSessions",
    pipelined: true,
    description:
      "Sign out everywhere else: ends every session and personal access token of the user except this device's, and closes their sockets at once.",
    responses: { 200: jsonContent(revokedSchema, "How many sessions and tokens ended") },
    errors: [400],
  }),
  async (c) => {
    const userId = c.var.user.id;
    // One statement, led by the session check: it ends the others only if this session is a device.
    const ended = await deleteOtherSessions(c.var.db, userId, await sessionTokenHash(c));
    const full = await confirmed(c); // no round trip: the delete carried the check
    if (!ended) requireDeviceSession(full); // 403 for a personal access token
    await endSessionSockets(full.env, userId, ended ?? []);
    return c.json({ revoked: ended?.length ?? 0 });
  },
);
