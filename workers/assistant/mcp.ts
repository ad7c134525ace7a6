/**
 * The tool registry over the Model Context Protocol (official TypeScript
 * SDK). Stateless: a fresh server and transport per request (a stateless
 * transport must not be reused), JSON responses, no sessions. Tools run when
 * called — the MCP client's own confirmation is the approval — and carry
 * readOnlyHint / destructiveHint so clients know which ones to confirm.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// The default AJV validator compiles schemas with `new Function`, which workerd refuses.
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import {
  AppError,
  asAppError,
  databaseUnavailable,
  isDatabaseUnavailable,
  logFields,
  pgError,
  SQLSTATE,
} from "../errors";
import { findUnstorable } from "../protocol/common";
import { ErrorCode } from "../protocol/rules";
import type { Scope } from "../sync/scope";
import { TOOLS } from "./tools";

export const MCP_SERVER_INFO = { name: "continuum", version: "0.1.0" };

export function mcpServer(scope: Scope): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    instructions: "Continuum: the user's todos, inbox, reference library and focus timer.",
  });
  for (const def of TOOLS) {
    server.registerTool(
      def.name,
      {
        title: def.title,
        description: def.description,
        inputSchema: def.input,
        annotations: {
          title: def.title,
          readOnlyHint: !def.changesData,
          destructiveHint: def.changesData,
          openWorldHint: false,
        },
      },
      async (input: Record<string, unknown>) => {
        try {
          const bad = findUnstorable(input);
          if (bad) throw new AppError(422, ErrorCode.validation_failed, `The tool's input is invalid: ${bad.message}.`);
          const result = (await def.run(scope, input, {})) as Record<string, unknown>;
          return { content: [{ type: "text" as const, text: JSON.stringify(result) }], structuredContent: result };
        } catch (err) {
          // Domain refusals (404, 409, …) are tool errors the model can read. Anything else gets the
          // SPEC's message for it and nothing of its own text, which may hold SQL or values (errors.ts).
          return { isError: true, content: [{ type: "text" as const, text: toolErrorText(err) }] };
        }
      },
    );
  }
  return server;
}

/** `<code>: <message>` of the SPEC error an HTTP route would answer for `err`. */
export function toolErrorText(err: unknown): string {
  // The session check that rode with the tool's query refused it: the route answers 401 instead.
  if (pgError(err)?.sqlstate === SQLSTATE.sessionRefused) return `${ErrorCode.unauthorized}: Not signed in.`;
  const known = asAppError(err) ?? (isDatabaseUnavailable(err) ? databaseUnavailable() : undefined);
  if (known) return `${known.code}: ${known.message}`;
  console.error(JSON.stringify({ level: "error", msg: "mcp tool failed", ...logFields(err) }));
  return `${ErrorCode.internal_error}: Something went wrong on our side.`;
}

export async function handleMcp(scope: Scope, request: Request, parsedBody: unknown): Promise<Response> {
  const server = mcpServer(scope);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { parsedBody });
  } finally {
    await server.close();
  }
}
