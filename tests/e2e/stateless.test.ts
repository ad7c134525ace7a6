/**
 * The Worker keeps no state (SPEC §1): two separate `wrangler dev` instances
 * — separate workerd processes, ports and --persist-to dirs, nothing shared
 * but the database — serve one user interchangeably.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "./app.ts";

let a: RunningApp;
let b: RunningApp;

beforeAll(async () => {
  // API only: any existing web build will do.
  const db = { databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy"), web: "any" as const };
  // One after the other: two cold workerd starts at once crowd a 2-core machine.
  a = await startApp(db);
  b = await startApp(db);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

async function call(app: RunningApp, method: string, path: string, token?: string, json?: unknown) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe("stateless Worker: two instances, one database", () => {
  it("a session, a record and a revocation made on one instance hold on the other", async () => {
    expect(a.port).not.toBe(b.port);
    const username = `e2e_sl_${randomUUID().slice(0, 8)}`;
    const signup = await call(a, "POST", "/api/auth/signup", undefined, {
      email: `${username}@example.test`,
      username,
      password: "stateless-pass-123",
    });
    expect(signup.status, JSON.stringify(signup.body)).toBe(201);
    const { token, user } = signup.body as { token: string; user: { id: string } };

    // B has never seen this session: it can only know it from Postgres.
    const me = await call(b, "GET", "/api/auth/me", token);
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.id);

    // Created on B, listed on A (and in A's change feed).
    const id = randomUUID();
    const created = await call(b, "POST", "/api/user/inbox", token, { id, title: "made on B", tags: ["stateless"] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const list = await call(a, "GET", "/api/user/inbox", token);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect(list.body.items[0]).toMatchObject({ title: "made on B", tags: ["stateless"], version: 1 });
    const feed = await call(a, "GET", "/api/sync/changes", token);
    expect(
      feed.body.changes.some((c: { entity: string; id: string }) => c.entity === "inbox_item" && c.id === id),
    ).toBe(true);

    // Revoked on A → refused on B at once (no cached session anywhere).
    const sessions = await call(a, "GET", "/api/auth/sessions", token);
    expect(sessions.status).toBe(200);
    const current = (sessions.body.items as Array<{ id: string; current: boolean }>).find((s) => s.current);
    expect(current).toBeDefined();
    const revoked = await call(a, "DELETE", `/api/auth/sessions/${current!.id}`, token);
    expect(revoked.status).toBe(204);
    const after = await call(b, "GET", "/api/auth/me", token);
    expect(after.status).toBe(401);
    expect((await call(b, "GET", "/api/user/inbox", token)).status).toBe(401);
  });

  it("an assistant conversation continues on the other instance: its history is only in Postgres", async () => {
    const username = `e2e_sa_${randomUUID().slice(0, 8)}`;
    const signup = await call(a, "POST", "/api/auth/signup", undefined, {
      email: `${username}@example.test`,
      username,
      password: "stateless-pass-123",
    });
    const token = signup.body.token as string;
    const conv = await call(a, "POST", "/api/assistant/conversations", token, { title: "two isolates" });
    expect(conv.status).toBe(201);
    const path = `/api/assistant/conversations/${conv.body.id}`;

    // Sent on A, waiting for approval …
    const sent = await call(a, "POST", `${path}/actions/send_message`, token, { content: "add todo across isolates" });
    expect(sent.body.status).toBe("awaiting_approval");
    const pending = sent.body.pending_tool_calls[0];
    // … approved on B, which never saw this conversation …
    const approved = await call(b, "POST", `${path}/actions/approve_tools`, token, {
      approvals: [{ tool_call_id: pending.id, approved: true }],
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe("idle");
    // … and continued on A with the whole history.
    const next = await call(a, "POST", `${path}/actions/send_message`, token, { content: "list todos" });
    expect(next.body.messages.map((m: { role: string }) => m.role)).toEqual([
      "user",
      "assistant",
      "tool",
      "assistant",
      "user",
      "assistant",
      "tool",
      "assistant",
    ]);
    expect(next.body.messages.at(-1).content).toContain("across isolates");
    expect((await call(b, "GET", `${path}/state`, token)).body).toEqual(next.body);
  });
});
