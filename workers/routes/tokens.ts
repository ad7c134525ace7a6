/**
 * Personal access tokens (SPEC §5 Assistant → MCP): long-lived bearer tokens
 * for API and MCP clients. They are rows of the sessions table (kind
 * `token`), so they authenticate everywhere a session does, are listed with
 * the devices in GET /api/auth/sessions and revoked with DELETE
 * /api/auth/sessions/{id} — effective on the next request.
 */
import { createPersonalToken } from "../data/auth";
import { unauthorized } from "../errors";
import { confirmed, createApi, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { requireDeviceSession, sessionTokenHash } from "../middleware/auth";
import { personalTokenResponseSchema, personalTokenSchema, type TokenScope } from "../protocol/auth";

export const tokens = createApi();

const declared = route({
  method: "post",
  path: "/",
  tags: ["Auth"],
  operationId: "createPersonalToken",
  description:
    "Creates a personal access token; `token` appears only in this response. `scope` `mcp` (the default) works at /mcp only, `full` as a bearer token everywhere. Only a signed-in device may mint tokens (403 `device_session_required` for a token). Not idempotent (a stored response would hold the token in clear).",
  request: jsonRequest(personalTokenSchema),
  responses: { 201: jsonContent(personalTokenResponseSchema, "The new token, shown once") },
  errors: [400, 403, 413, 415, 422],
  // Never stored under an Idempotency-Key (see the description).
  idempotent: false,
  // The insert carries the session check and its own "only from a device" condition: one round trip.
  pipelined: true,
});

register(tokens, declared, async (c) => {
  const { name, scope } = c.req.valid("json" as never) as { name: string; scope: TokenScope };
  const made = await createPersonalToken(c.var.db, c.var.user.id, name, scope, await sessionTokenHash(c));
  const full = await confirmed(c); // no round trip: the insert carried the check
  if (!made) {
    requireDeviceSession(full); // 403 for a personal access token
    throw unauthorized(); // a device whose session ended between the check and the insert
  }
  c.header("Cache-Control", "no-store");
  return c.json({ id: made.id, name, scope, token: made.token, created_at: made.createdAt.toISOString() }, 201);
});
