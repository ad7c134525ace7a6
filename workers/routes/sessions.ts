/**
 * SPEC §5 Auth: changing the password and "sign out everywhere else". Both
 * need a signed-in device (a personal access token gets 403), and both end
 * every other session and token of the user in one statement and close their
 * sockets before answering (the user's Durable Object; its alarm is the backstop).
 */
import { deleteOtherSessions, passwordMatches, replacePassword } from "../data/auth";
import { AppError } from "../errors";
import { hashPassword } from "../lib/crypto";
import { createApi, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { clientIp, limitLogin } from "../lib/rate-limit";
import { requireDeviceSession } from "../middleware/auth";
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
    description:
      "Sets a new password with the current one entered again (403 `wrong_password`, rate limited like a login). Ends every other session and personal access token and closes their sockets; this device stays signed in.",
    request: jsonRequest(changePasswordSchema),
    responses: { 200: jsonContent(revokedSchema, "How many other sessions and tokens ended") },
    errors: [400, 413, 415, 429],
  }),
  async (c) => {
    requireDeviceSession(c);
    const { current_password, new_password } = c.req.valid("json");
    const userId = c.var.user.id;
    await limitLogin(c.env, clientIp(c.req), userId);
    if (!(await passwordMatches(c.var.db, userId, current_password)))
      throw new AppError(403, ErrorCode.wrong_password, "The current password is incorrect.");
    const ended = await replacePassword(c.var.db, userId, await hashPassword(new_password), c.var.sessionId);
    await endSessionSockets(c.env, userId, ended);
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
    description:
      "Sign out everywhere else: ends every session and personal access token of the user except this device's, and closes their sockets at once.",
    responses: { 200: jsonContent(revokedSchema, "How many sessions and tokens ended") },
    errors: [400],
  }),
  async (c) => {
    requireDeviceSession(c);
    const userId = c.var.user.id;
    const ended = await deleteOtherSessions(c.var.db, userId, c.var.sessionId);
    await endSessionSockets(c.env, userId, ended);
    return c.json({ revoked: ended.length });
  },
);
