/**
 * POST /mcp with the official MCP SDK Client, its Streamable HTTP transport
 * reaching the Worker in-process (exports.default.fetch), and personal
 * access tokens: create, list, authenticate, revoke.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, test } from "vitest";
import { as, BASE, call, signup } from "../support/api";
import { connectMcp } from "../support/mcp";

// The first request loads the Worker's whole module graph (the AI SDK and the MCP SDK included),
// which on a busy 2-core machine can take longer than one test's timeout.
beforeAll(() => call("GET", "/api/health"), 120_000);

const SPEC_TOOLS = {
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
};

const textOf = (r: any) => JSON.parse(r.content[0].text);

async function personalToken(u: { token: string }, name = "laptop", scope: "mcp" | "full" = "mcp") {
  const r = await as(u).post("/api/auth/tokens", { name, scope });
  expect(r.status).toBe(201);
  return r.body as { id: string; name: string; token: string; created_at: string };
}

describe("personal access tokens", () => {
  test("created once, listed with kind token, usable as a bearer, revoked at once", async () => {
    const u = await signup();
    const pat = await personalToken(u, "Claude Desktop", "full");
    expect(pat).toMatchObject({ name: "Claude Desktop", scope: "full" });
    expect(pat.token.length).toBeGreaterThan(30);
    expect(Object.keys(pat).sort()).toEqual(["created_at", "id", "name", "scope", "token"]);
    expect((await as({ token: pat.token }).get("/api/auth/me")).body.user.id).toBe(u.id);

    const sessions = (await as(u).get("/api/auth/sessions")).body.items;
    expect(sessions.find((s: any) => s.id === pat.id)).toMatchObject({
      kind: "token",
      name: "Claude Desktop",
      scope: "full",
      current: false,
    });
    expect(sessions.find((s: any) => s.current)).toMatchObject({ kind: "device", name: null });
    expect(JSON.stringify(sessions)).not.toContain(pat.token);

    expect((await as(u).del(`/api/auth/sessions/${pat.id}`)).status).toBe(204);
    expect((await as({ token: pat.token }).get("/api/auth/me")).status).toBe(401);

    for (const bad of [{}, { name: "" }, { name: "x".repeat(101) }, { name: "a", extra: 1 }])
      expect((await as(u).post("/api/auth/tokens", bad)).status).toBe(422);
    expect((await call("POST", "/api/auth/tokens", { json: { name: "x" } })).status).toBe(401);
  });

  test("another user's token id → 404 on revoke", async () => {
    const a = await signup();
    const b = await signup();
    const pat = await personalToken(a, "laptop", "full");
    expect((await as(b).del(`/api/auth/sessions/${pat.id}`)).status).toBe(404);
    expect((await as({ token: pat.token }).get("/api/auth/me")).status).toBe(200);
  });
});

describe("MCP", () => {
  test("listTools: every SPEC tool with its annotations", async () => {
    const u = await signup();
    const client = await connectMcp((await personalToken(u)).token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(SPEC_TOOLS).sort());
    for (const tool of tools) {
      const changes = SPEC_TOOLS[tool.name as keyof typeof SPEC_TOOLS];
      expect(tool.annotations, tool.name).toMatchObject(
        changes ? { destructiveHint: true, readOnlyHint: false } : { readOnlyHint: true, destructiveHint: false },
      );
      expect(tool.description).toBeTruthy();
      expect(tool.inputSchema.type).toBe("object");
    }
    expect(tools.find((t) => t.name === "create_todo")!.inputSchema.required).toEqual(["title"]);
    await client.close();
  });

  test("callTool create_todo creates a todo visible over REST; reading tools see it", async () => {
    const u = await signup();
    const client = await connectMcp(u.token); // a session token works too
    const created = await client.callTool({ name: "create_todo", arguments: { title: "from MCP" } });
    expect(created.isError).toBeFalsy();
    const todo = textOf(created);
    expect(todo).toMatchObject({ title: "from MCP", done: false, version: 1 });
    expect(created.structuredContent).toEqual(todo);
    expect((await as(u).get(`/api/todos/${todo.id}`)).body.title).toBe("from MCP");
    const feed = (await as(u).get("/api/sync/changes")).body.changes;
    expect(feed.some((ch: any) => ch.entity === "todo" && ch.id === todo.id)).toBe(true);

    const listed = textOf(await client.callTool({ name: "list_todos", arguments: {} }));
    expect(listed.items.map((t: any) => t.title)).toEqual(["from MCP"]);
    const done = textOf(await client.callTool({ name: "complete_todo", arguments: { id: todo.id } }));
    expect(done).toMatchObject({ done: true, version: 2 });

    // Bad input is a tool error, not a server error; nothing is written.
    const bad = await client.callTool({ name: "create_todo", arguments: { title: "" } });
    expect(bad.isError).toBe(true);
    const missing = await client.callTool({ name: "delete_todo", arguments: { id: crypto.randomUUID() } });
    expect(missing.isError).toBe(true);
    expect((missing.content as any)[0].text).toMatch(/not_found/);
    expect((await as(u).get("/api/todos")).body.total).toBe(1);
    await client.close();
  });

  test("B's token never sees A's todos", async () => {
    const a = await signup();
    const b = await signup();
    const aTodo = (await as(a).post("/api/todos", { title: "A's secret" })).body;
    const client = await connectMcp((await personalToken(b)).token);
    const listed = textOf(await client.callTool({ name: "list_todos", arguments: {} }));
    expect(listed).toEqual({ items: [], total: 0 });
    const steal = await client.callTool({ name: "complete_todo", arguments: { id: aTodo.id } });
    expect(steal.isError).toBe(true);
    expect(JSON.stringify(steal)).not.toContain("secret");
    expect((await as(a).get(`/api/todos/${aTodo.id}`)).body.done).toBe(false);
    await client.close();
  });

  test("no token, a bad token, a cookie, or a revoked token → 401", async () => {
    await expect(connectMcp()).rejects.toMatchObject({ code: 401 });
    await expect(connectMcp("not-a-token")).rejects.toMatchObject({ code: 401 });
    const u = await signup();
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
    };
    const viaCookie = await exports.default.fetch(
      new Request(`${BASE}/mcp`, {
        method: "POST",
        headers: {
          cookie: `session=${u.token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify(init),
      }),
    );
    expect(viaCookie.status).toBe(401);
    expect(viaCookie.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await viaCookie.json()) as any).error.code).toBe("unauthorized");

    const pat = await personalToken(u);
    const client = await connectMcp(pat.token);
    expect((await client.listTools()).tools.length).toBe(Object.keys(SPEC_TOOLS).length);
    expect((await as(u).del(`/api/auth/sessions/${pat.id}`)).status).toBe(204);
    await expect(client.listTools()).rejects.toMatchObject({ code: 401 });
    await expect(connectMcp(pat.token)).rejects.toMatchObject({ code: 401 });
  });

  test("GET /mcp → 405 (stateless: no event stream)", async () => {
    const u = await signup();
    const r = await call("GET", "/mcp", { token: u.token });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
  });
});
