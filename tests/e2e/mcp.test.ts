/**
 * MCP over real HTTP: the official SDK's Client and StreamableHTTPClientTransport
 * — what MCP hosts embed — against the running app (wrangler dev, as `npm run
 * dev` serves it), authenticated with a personal access token as the README's
 * "Connect an MCP client" says. Lists the tools, calls one that reads and one
 * that changes data (marked destructive, so hosts ask before running it), and
 * is refused once the token is revoked.
 */
import { randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "./app.ts";
import { apiAs } from "./browser.ts";

let app: RunningApp;
const clients: Client[] = [];

beforeAll(async () => {
  app = await startApp({ databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy"), web: "any" });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await app?.stop();
});

async function connect(token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${app.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "continuum-e2e", version: "1.0.0" });
  clients.push(client);
  await client.connect(transport);
  return client;
}

describe("an MCP client over HTTP with a personal access token", () => {
  let session = "";
  let pat: { id: string; token: string };
  let client: Client;

  it("connects and lists the tools with their hints", async () => {
    const username = `e2e_mcp_${randomUUID().slice(0, 8)}`;
    const signup = await fetch(`${app.url}/api/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `${username}@example.test`, username, password: "mcp-pass-12345" }),
    });
    expect(signup.status).toBe(201);
    session = ((await signup.json()) as { token: string }).token;
    const created = await apiAs(app.url, session, "POST", "/api/auth/tokens", { name: "MCP Inspector" });
    expect(created.status).toBe(201);
    pat = created.body;

    client = await connect(pat.token);
    expect(client.getServerVersion()).toMatchObject({ name: "continuum" });
    const { tools } = await client.listTools();
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations?.destructiveHint]));
    expect(hints).toEqual({
      list_todos: false,
      create_todo: true,
      complete_todo: true,
      delete_todo: true,
      capture_inbox: true,
      list_inbox: false,
      search_references: false,
      focus_status: false,
      start_focus: true,
      list_recent_changes: false,
      undo_last_action: true,
    });
    const create = tools.find((t) => t.name === "create_todo")!;
    expect(create.inputSchema).toMatchObject({ type: "object", properties: { title: { type: "string" } } });
  });

  it("calls a data-changing tool (the host's confirmation is the approval) and a reading one", async () => {
    const created = await client.callTool({ name: "create_todo", arguments: { title: "Call the plumber" } });
    expect(created.isError ?? false).toBe(false);
    const todo = created.structuredContent as { id: string; title: string; done: boolean };
    expect(todo).toMatchObject({ title: "Call the plumber", done: false });
    // The same record the REST API and the app see.
    expect((await apiAs(app.url, session, "GET", "/api/todos")).body.items).toEqual([
      expect.objectContaining({ id: todo.id, title: "Call the plumber" }),
    ]);

    const listed = await client.callTool({ name: "list_todos", arguments: {} });
    expect(listed.structuredContent).toMatchObject({ items: [{ id: todo.id, title: "Call the plumber" }], total: 1 });
    expect(JSON.parse((listed.content as Array<{ text: string }>)[0]!.text)).toEqual(listed.structuredContent);

    // A domain refusal is a tool error the model can read, not a protocol failure.
    const missing = await client.callTool({ name: "complete_todo", arguments: { id: randomUUID() } });
    expect(missing.isError).toBe(true);
  });

  it("is refused once the token is revoked", async () => {
    expect((await apiAs(app.url, session, "DELETE", `/api/auth/sessions/${pat.id}`)).status).toBe(204);
    await expect(client.callTool({ name: "list_todos", arguments: {} })).rejects.toThrow(/401|nauthorized/);
    await expect(connect(pat.token)).rejects.toThrow(/401|nauthorized/);
  });
});
