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
import { AppError } from "../errors";
import type { Scope } from "../lib/scope";
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
          const result = (await def.run(scope, input, {})) as Record<string, unknown>;
          return { content: [{ type: "text" as const, text: JSON.stringify(result) }], structuredContent: result };
        } catch (err) {
          // Domain refusals (404, 409, …) are tool errors the model can read; anything else is a server error.
          if (!(err instanceof AppError)) throw err;
          return { isError: true, content: [{ type: "text" as const, text: `${err.code}: ${err.message}` }] };
        }
      },
    );
  }
  return server;
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
