/**
 * POST /mcp — the assistant's tools over MCP (workers/assistant/mcp.ts), for
 * a bearer token: a session token or a personal access token. Cookies are not
 * accepted here: MCP tools run without an approval step, so a cross-site form
 * riding a browser cookie must not reach them.
 */
import { z } from "zod";
import { handleMcp } from "../assistant/mcp";
import { AppError } from "../errors";
import { createApi, ErrorBody, errors, jsonContent, register } from "../http/openapi";
import { scopeOf } from "../http/record";
import { authenticate, establish, leadBearerCheck, tokenUserId } from "../middleware/auth";
import { database, jsonBody } from "../middleware/request";
import { createRoute } from "@hono/zod-openapi";
import { ErrorCode } from "../protocol/rules";

const unauthorized = () =>
  new AppError(
    401,
    ErrorCode.unauthorized,
    "Send a session or personal access token as `Authorization: Bearer <token>`.",
    {
      headers: { "WWW-Authenticate": 'Bearer realm="continuum"' },
    },
  );

/** One JSON-RPC message (MCP 2025-06-18 has no batches); anything else is a 422 in the SPEC's error format. */
const jsonRpc = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number()]).nullable().optional(),
    method: z.string().optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    result: z.unknown().optional(),
    error: z.unknown().optional(),
  })
  .meta({ id: "JsonRpcMessage" });

export const mcp = createApi();

register(
  mcp,
  // The MCP SDK's transport answers the JSON-RPC itself; the schema only checks it is JSON-RPC-shaped.
  createRoute({
    method: "post",
    path: "/",
    tags: ["MCP"],
    operationId: "mcp",
    summary: "Model Context Protocol (Streamable HTTP, stateless, JSON responses)",
    description:
      "The assistant's tools (list_todos, create_todo, complete_todo, delete_todo, capture_inbox, list_inbox, search_references, focus_status, start_focus) over MCP. Send JSON-RPC with `Accept: application/json, text/event-stream`. Tools run when called; data-changing ones carry `destructiveHint: true`, reading ones `readOnlyHint: true`. Bearer tokens only (no cookie).",
    security: [{ bearer: [] }],
    // Authenticates itself (bearer only, below); needs the database for it. The JSON checks (415, the
    // 256 KB limit → 413) come first: an oversized body is refused before it is parsed or the token checked.
    middleware: [jsonBody, database],
    request: { body: { content: { "application/json": { schema: jsonRpc } }, required: true } },
    responses: {
      200: jsonContent(jsonRpc, "The JSON-RPC response"),
      202: { description: "A notification was accepted" },
      ...errors(401, 406, 422, 503),
      // The transport's own refusals (e.g. an unsupported protocol version) are JSON-RPC errors.
      400: jsonContent(z.union([ErrorBody, jsonRpc]), "Malformed JSON, or a JSON-RPC request the server refuses"),
      415: jsonContent(z.union([ErrorBody, jsonRpc]), "Content-Type must be application/json"),
    },
  }),
  async (c) => {
    const header = c.req.header("authorization");
    const token = header?.toLowerCase().startsWith("bearer ") ? header.slice(7).trim() : "";
    if (!token) throw unauthorized();
    const accept = c.req.header("accept") ?? "";
    const acceptable = accept.includes("application/json") && accept.includes("text/event-stream");
    const claimedUser = tokenUserId(token);
    // A token that names its user (a session's, or a personal access token minted since they do):
    // the check leads the tool's first query, one round trip for a tool call. Older tokens: checked first.
    const settle = claimedUser && acceptable ? await leadBearerCheck(c, token, claimedUser) : undefined;
    const row = settle ? undefined : (await authenticate(c.var.db, token))?.row;
    if (!settle && !row) throw unauthorized();
    if (!acceptable)
      throw new AppError(
        406,
        ErrorCode.not_acceptable,
        "MCP clients must accept application/json and text/event-stream.",
      );
    // The user (row-level security) and the session bookkeeping as on every route: `last_seen_at`
    // (what Settings shows as "last used") moves.
    if (row) await establish(c, row, { token, via: "bearer" });
    // The body was parsed (and checked to be JSON) by the route's validator; the transport takes it as is.
    const res = await handleMcp(scopeOf(c), c.req.raw, c.req.valid("json" as never));
    if (settle) {
      const checked = await settle();
      // Refused: whatever the tools answered is thrown away (nothing they wrote committed).
      if (!checked) throw unauthorized();
      await establish(c, checked, { token, via: "bearer" });
    }
    return res;
  },
);

// Stateless: no server-sent event stream to GET, no session to DELETE.
for (const method of ["get", "delete"] as const)
  register(
    mcp,
    createRoute({
      method,
      path: "/",
      tags: ["MCP"],
      operationId: `mcp${method === "get" ? "Get" : "Delete"}`,
      summary: "Not served: MCP here is stateless POST only",
      security: [],
      responses: errors(405),
    }),
    (c) => {
      c.header("Allow", "POST");
      throw new AppError(405, ErrorCode.method_not_allowed, "MCP is served as POST /mcp (Streamable HTTP, stateless).");
    },
  );
