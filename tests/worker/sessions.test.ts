/**
 * Tokens and sessions (issue #21): token scopes, what only a signed-in device
 * may do, MCP use counting as use, password change and "sign out everywhere
 * else" closing the other devices' sockets at once, and the paged device list.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";
import { connectMcp } from "../support/mcp";
import { openSocket } from "../support/socket";
import { dbRows } from "../support/db";

beforeAll(() => call("GET", "/api/health"), 120_000);

const mint = async (u: { token: string }, scope?: "mcp" | "full") => {
  const r = await as(u).post("/api/auth/tokens", { name: "client", ...(scope ? { scope } : {}) });
  expect(r.status).toBe(201);
  return r.body as { id: string; token: string; scope: string };
};

/** Another device of the same user (a fresh login from its own address). */
async function login(u: TestUser, password = u.password) {
  return call("POST", "/api/auth/login", {
    json: { login: u.username, password },
    headers: { "cf-connecting-ip": `203.0.113.${Math.floor(Math.random() * 250) + 1}` },
  });
}
const device = async (u: TestUser) => {
  const r = await login(u);
  expect(r.status).toBe(200);
  return { token: r.body.token as string };
};

async function lastSeen(id: string): Promise<number> {
  const rows = await dbRows(sql`select last_seen_at from sessions where id = ${id}`);
  return new Date(rows[0]!.last_seen_at as string).getTime();
}

describe("personal access token scopes", () => {
  test("`mcp` (the default) works at /mcp only; `full` works everywhere", async () => {
    const u = await signup();
    const mcpOnly = await mint(u);
    expect(mcpOnly.scope).toBe("mcp");
    const client = await connectMcp(mcpOnly.token);
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    for (const path of ["/api/auth/me", "/api/todos", "/api/sync/changes"])
      expect((await as(mcpOnly).get(path)).status, path).toBe(401);
    expect((await as(mcpOnly).post("/api/todos", { title: "x" })).status).toBe(401);
    await expect(openSocket(mcpOnly.token)).rejects.toThrow(/401/);

    const full = await mint(u, "full");
    expect((await as(full).get("/api/auth/me")).status).toBe(200);
    expect((await as(u).post("/api/auth/tokens", { name: "x", scope: "admin" })).status).toBe(422);
    const listed = (await as(u).get("/api/auth/sessions")).body.items as any[];
    expect(listed.find((s) => s.id === mcpOnly.id)).toMatchObject({ kind: "token", scope: "mcp" });
    expect(listed.find((s) => s.current)).toMatchObject({ kind: "device", scope: "full" });
  });

  test("only a signed-in device mints tokens, revokes sessions, signs out elsewhere or changes the password", async () => {
    const u = await signup();
    const full = await mint(u, "full");
    const other = await device(u);
    const refused = [
      await as(full).post("/api/auth/tokens", { name: "more", scope: "full" }),
      await as(full).del(
        `/api/auth/sessions/${(await as(u).get("/api/auth/sessions")).body.items.find((s: any) => s.current).id}`,
      ),
      await as(full).post("/api/auth/sessions/revoke_others"),
      await as(full).post("/api/auth/password", { current_password: u.password, new_password: "a new long password" }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("device_session_required");
    }
    // Nothing changed: both devices and the token still work; the old password still signs in.
    for (const t of [u, other, full]) expect((await as(t).get("/api/auth/me")).status).toBe(200);
    expect((await as(u).get("/api/auth/sessions")).body.total).toBe(3);
    expect((await login(u)).status).toBe(200);
  });

  test("using a token over MCP moves its last_seen_at", async () => {
    const u = await signup();
    const pat = await mint(u);
    await dbRows(sql`update sessions set last_seen_at = now() - interval '2 days' where id = ${pat.id}`);
    const before = await lastSeen(pat.id);
    const client = await connectMcp(pat.token);
    try {
      await client.callTool({ name: "list_todos", arguments: {} });
    } finally {
      await client.close();
    }
    expect((await lastSeen(pat.id)) - before).toBeGreaterThan(24 * 3600 * 1000);
  });
});

describe("password change and sign out everywhere else", () => {
  test("a password change needs the current one, ends every other session and token, and closes their sockets", async () => {
    const u = await signup();
    const other = await device(u);
    const pat = await mint(u, "full");
    const theirs = await openSocket(other.token);
    const mine = await openSocket(u.token);
    await theirs.next((m) => m.type === "hello");
    await mine.next((m) => m.type === "hello");

    const wrong = await as(u).post("/api/auth/password", {
      current_password: "not it at all",
      new_password: "x".repeat(12),
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe("wrong_password");
    expect(
      (await as(u).post("/api/auth/password", { current_password: u.password, new_password: "short" })).status,
    ).toBe(422);
    expect((await as(other).get("/api/auth/me")).status).toBe(200);

    const ok = await as(u).post("/api/auth/password", {
      current_password: u.password,
      new_password: "a brand new password",
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ revoked: 2 });
    // Closed before the answer, not at the next alarm.
    expect((await theirs.closed).code).toBe(4001);
    for (const t of [other, pat]) expect((await as(t).get("/api/auth/me")).status).toBe(401);
    expect((await as(u).get("/api/auth/me")).status).toBe(200);
    expect((await login(u)).status).toBe(401);
    expect((await login(u, "a brand new password")).status).toBe(200);
    // This device's socket stays: a change on it still arrives.
    await as(u).post("/api/todos", { title: "still live" });
    expect((await mine.next((m) => m.type === "changes")).changes[0].entity).toBe("todo");
    mine.close();
  });

  test("revoke_others ends every other device and token at once; this one stays", async () => {
    const u = await signup();
    const others = [await device(u), await device(u)];
    const pat = await mint(u);
    const sockets = await Promise.all(others.map((o) => openSocket(o.token)));
    await Promise.all(sockets.map((s) => s.next((m) => m.type === "hello")));
    const r = await as(u).post("/api/auth/sessions/revoke_others");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ revoked: 3 });
    for (const s of sockets) expect((await s.closed).code).toBe(4001);
    for (const o of others) expect((await as(o).get("/api/auth/me")).status).toBe(401);
    await expect(connectMcp(pat.token)).rejects.toMatchObject({ code: 401 });
    const left = (await as(u).get("/api/auth/sessions")).body;
    expect(left.total).toBe(1);
    expect(left.items[0].current).toBe(true);
  });

  test("the device list is a paged §3 list", async () => {
    const u = await signup();
    for (let i = 0; i < 3; i++) await device(u);
    const first = (await as(u).get("/api/auth/sessions?page_size=2")).body;
    expect(first).toMatchObject({ page: 1, page_size: 2, total: 4 });
    expect(first.items).toHaveLength(2);
    const second = (await as(u).get("/api/auth/sessions?page=2&page_size=2")).body;
    expect(second.items).toHaveLength(2);
    const ids = [...first.items, ...second.items].map((s: any) => s.id);
    expect(new Set(ids).size).toBe(4);
    expect((await as(u).get("/api/auth/sessions?page_size=101")).status).toBe(400);
  });
});
