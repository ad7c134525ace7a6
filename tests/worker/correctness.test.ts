/**
 * Findings of the abuse review (issue #21, "Loss and wrong answers"): each
 * test failed on the code before its fix. Races, leaked text, a year the
 * database can't store, achievements for nothing, a private parent's id, likes
 * vanishing unannounced, and Idempotency-Key retries answered wrongly.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";
import { connectMcp } from "../support/mcp";
import { openSocket } from "../support/socket";
import { dbRows } from "../support/db";

// The first request loads the Worker's whole module graph (AI SDK, MCP SDK) — slow on a busy machine.
beforeAll(() => call("GET", "/api/health"), 120_000);

const LOOP = { name: "Night drive", bars: 2, bpm: 96, color: "#3366cc", chord_progression: ["Am7", "F"] };

describe("custom rewards", () => {
  test("two users racing to create a reward with one id: one 201, the other 409 id_conflict, never a 500", async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([signup(), signup()]);
      const id = crypto.randomUUID();
      const body = { id, name: "Tea break", price: 5 };
      const [ra, rb] = await Promise.all([
        as(a).post("/api/market/items", body),
        as(b).post("/api/market/items", body),
      ]);
      expect([ra.status, rb.status].sort()).toEqual([201, 409]);
      const loser = ra.status === 409 ? ra : rb;
      expect(loser.body.error.code).toBe("id_conflict");
    }
  });
});

describe("todos: due_at", () => {
  test("year 0 (and other years Postgres or a calendar can't mean) is 422, nothing written", async () => {
    const u = await signup();
    for (const due_at of ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z"]) {
      const r = await as(u).post("/api/todos", { title: "Pay taxes", due_at });
      expect(r.status, due_at).toBe(422);
      expect(r.body.error.code).toBe("validation_failed");
    }
    expect((await as(u).get("/api/todos")).body.total).toBe(0);
    const ok = await as(u).post("/api/todos", { title: "Pay taxes", due_at: "9999-12-31T00:00:00Z" });
    expect(ok.status).toBe(201);
    expect((await as(u).put(`/api/todos/${ok.body.id}`, { due_at: "0000-06-01T00:00:00Z" })).status).toBe(422);
  });
});

describe("MCP tool errors", () => {
  test("input the database refuses is the SPEC's error message, with nothing of Postgres' text", async () => {
    const u = await signup();
    const pat = (await as(u).post("/api/auth/tokens", { name: "mcp" })).body.token as string;
    const client = await connectMcp(pat);
    try {
      for (const args of [{ title: "year zero", due_at: "0000-01-01T00:00:00Z" }]) {
        const r: any = await client.callTool({ name: "create_todo", arguments: args });
        expect(r.isError, JSON.stringify(args)).toBe(true);
        const text = r.content[0].text as string;
        expect(text).not.toMatch(/insert|select|postgres|byte sequence|out of range|todos|\$\d/i);
        expect(text).toMatch(/^(validation_failed: |MCP error -32602: Input validation error)/);
      }
      expect((await as(u).get("/api/todos")).body.total).toBe(0);
    } finally {
      await client.close();
    }
  });
});

describe("focus achievements", () => {
  test("starting and at once completing a session earns no first-session or streak achievement", async () => {
    const u = await signup();
    const s = (await as(u).post("/api/focus/sessions", { duration_s: 1500 })).body;
    expect((await as(u).post(`/api/focus/sessions/${s.id}/complete`)).status).toBe(200);
    const rewards = (await as(u).get("/api/market/rewards")).body.items as any[];
    expect(rewards.filter((r) => r.earned_at).map((r) => r.id)).toEqual([]);
    expect(rewards.find((r) => r.id === "first_session").progress).toBe(0);
    const wallet = (await as(u).get("/api/market/wallet")).body;
    expect(wallet.balance).toBe(100); // the welcome grant only

    // One real focused minute does count.
    const t = (await as(u).post("/api/focus/sessions", { duration_s: 1500 })).body;
    await dbRows(sql`update focus_sessions set started_at = now() - interval '61 seconds' where id = ${t.id}`);
    expect((await as(u).post(`/api/focus/sessions/${t.id}/complete`)).status).toBe(200);
    const after = (await as(u).get("/api/market/rewards")).body.items as any[];
    expect(after.find((r) => r.id === "first_session").earned_at).not.toBeNull();
  });
});

describe("studio", () => {
  test("a public remix never reveals its private parent's id (GET, feed, lineage)", async () => {
    const a = await signup();
    const b = await signup();
    const parent = (await as(a).post("/api/studio/loops", { ...LOOP, visibility: "private" })).body;
    const remix = (await as(a).post(`/api/studio/loops/${parent.id}/remix`, {})).body;
    expect(remix.parent_loop_id).toBe(parent.id); // the owner sees it
    await as(a).put(`/api/studio/loops/${remix.id}`, { visibility: "public" });
    const seen = await as(b).get(`/api/studio/loops/${remix.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.parent_loop_id).toBeNull();
    const feed = (await as(b).get("/api/studio/feed?sort=new&limit=100")).body.items as any[];
    const item = feed.find((l) => l.id === remix.id);
    expect(item.parent_loop_id).toBeNull();
    expect(item.remix_of).toBeNull();
    // A public grand-child: its lineage lists the public remix, without the private parent's id.
    const child = (await as(a).post(`/api/studio/loops/${remix.id}/remix`, {})).body;
    await as(a).put(`/api/studio/loops/${child.id}`, { visibility: "public" });
    const lineage = (await as(b).get(`/api/studio/loops/${child.id}/lineage`)).body.items as any[];
    expect(lineage.map((l) => l.id)).toEqual([remix.id]);
    expect(lineage[0].parent_loop_id).toBeNull();
    expect(JSON.stringify([seen.body, item, lineage])).not.toContain(parent.id);
    // The owner still sees the parent.
    expect((await as(a).get(`/api/studio/loops/${remix.id}`)).body.parent_loop_id).toBe(parent.id);
  });

  test("deleting a loop tells each liker's devices that their like is gone", async () => {
    const owner = await signup();
    const fans = await Promise.all([signup(), signup()]);
    const loop = (await as(owner).post("/api/studio/loops", { ...LOOP, visibility: "public" })).body;
    for (const f of fans) expect((await as(f).put(`/api/studio/loops/${loop.id}/like`)).status).toBe(200);
    const sockets = await Promise.all(fans.map((f) => openSocket(f.token)));
    try {
      await Promise.all(sockets.map((s) => s.next((m) => m.type === "hello")));
      expect((await as(owner).del(`/api/studio/loops/${loop.id}`)).status).toBe(204);
      for (const [i, s] of sockets.entries()) {
        const msg = await s.next((m) => m.type === "changes");
        expect(msg.changes).toEqual([expect.objectContaining({ entity: "loop_like", id: loop.id, op: "delete" })]);
        // …and the pull agrees.
        const feed = (await as(fans[i]!).get("/api/sync/changes")).body.changes as any[];
        expect(feed.filter((c) => c.entity === "loop_like" && c.id === loop.id).at(-1).op).toBe("delete");
      }
    } finally {
      for (const s of sockets) s.close();
    }
  });
});

describe("Idempotency-Key retries answered from the committed outcome", () => {
  /** The first answer, then the key as a crashed storer would leave it: outcome kept, response lost. */
  async function loseStoredResponse(u: TestUser, key: string, age: "fresh" | "stale") {
    // Wait for the response to be stored (after it was sent), then drop it.
    for (;;) {
      if (age === "stale") break; // already dropped by the "fresh" step
      const [row] = await dbRows(sql`select status from idempotency_keys where user_id = ${u.id} and key = ${key}`);
      if (row?.status != null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await dbRows(sql`update idempotency_keys set status = null, headers = null, body = null,
      created_at = now() - ${age === "fresh" ? "0 seconds" : "30 seconds"}::interval
      where user_id = ${u.id} and key = ${key}`);
  }

  async function sameAnswer(
    u: TestUser,
    send: (headers: Record<string, string>) => Promise<{ status: number; body: unknown; headers: Headers }>,
  ) {
    const key = crypto.randomUUID();
    const first = await send({ "idempotency-key": key });
    expect(first.status).toBeLessThan(300);
    // While the first request may still be running (its claim is fresh): 409, never an invented answer.
    await loseStoredResponse(u, key, "fresh");
    const running = await send({ "idempotency-key": key });
    expect(running.status).toBe(409);
    expect((running.body as any).error.code).toBe("idempotency_in_progress");
    // Finished without storing its response: rebuilt, and exactly the first answer.
    await loseStoredResponse(u, key, "stale");
    const again = await send({ "idempotency-key": key });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("x-sync-cursor")).toBe(first.headers.get("x-sync-cursor"));
    return first;
  }

  test("purchase and refund", async () => {
    const u = await signup();
    const coffee = "00000000-0000-4000-8000-00000000c001";
    const bought = await sameAnswer(u, (h) => as(u).post("/api/market/purchases", { item_id: coffee }, h));
    const id = (bought.body as any).purchase.id;
    await sameAnswer(u, (h) => as(u).post(`/api/market/purchases/${id}/refund`, undefined, h));
  });

  test("send_message and approve_tools", async () => {
    const u = await signup();
    const conv = (await as(u).post("/api/assistant/conversations", {})).body;
    const base = `/api/assistant/conversations/${conv.id}/actions`;
    const sent = await sameAnswer(u, (h) =>
      as(u).post(`${base}/send_message`, { content: "add todo water plants" }, h),
    );
    const pending = (sent.body as any).pending_tool_calls[0];
    expect(pending.name).toBe("create_todo");
    await sameAnswer(u, (h) =>
      as(u).post(`${base}/approve_tools`, { approvals: [{ tool_call_id: pending.id, approved: true }] }, h),
    );
  });
});
