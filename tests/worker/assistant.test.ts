/**
 * SPEC §5 Assistant over HTTP, inside workerd against the real Postgres, with
 * the default `rules` model: the state machine, approvals, concurrency,
 * ETags, ownership and lease expiry.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";
import { openSocket } from "../support/socket";
import { openOwnerDb } from "../support/db";

// The first request loads the Worker's whole module graph (the AI SDK and the MCP SDK included),
// which on a busy 2-core machine can take longer than one test's timeout.
beforeAll(() => call("GET", "/api/health"), 120_000);

const A = "/api/assistant/conversations";

async function conversation(u: TestUser, title?: string) {
  const r = await as(u).post(A, title ? { title } : {});
  expect(r.status).toBe(201);
  return r.body.id as string;
}
const send = (u: TestUser, id: string, content: string, headers?: Record<string, string>) =>
  as(u).post(`${A}/${id}/actions/send_message`, { content }, headers);
const approve = (u: TestUser, id: string, approvals: { tool_call_id: string; approved: boolean }[]) =>
  as(u).post(`${A}/${id}/actions/approve_tools`, { approvals });
const lastText = (state: any) => state.messages.filter((m: any) => m.role === "assistant").at(-1)?.content;

describe("assistant: approval flow", () => {
  test('"add todo buy milk" waits for approval; approving creates the todo, logs it and relays it', async () => {
    const u = await signup();
    const id = await conversation(u, "Errands");
    const socket = await openSocket(u.token);
    await socket.next((m) => m.type === "hello");

    const sent = await send(u, id, "Add todo buy milk");
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.status).toBe("awaiting_approval");
    expect(sent.body.conversation.status).toBe("awaiting_approval");
    expect(sent.body.pending_tool_calls).toHaveLength(1);
    const pending = sent.body.pending_tool_calls[0];
    expect(pending).toMatchObject({ name: "create_todo", input: { title: "buy milk" }, status: "pending_approval" });
    expect(sent.body.messages.map((m: any) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(sent.body.messages[2]).toMatchObject({ tool_call_id: pending.id, status: "pending_approval" });
    // Nothing is created before approval.
    expect((await as(u).get("/api/todos")).body.total).toBe(0);

    const approved = await approve(u, id, [{ tool_call_id: pending.id, approved: true }]);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe("idle");
    expect(approved.body.pending_tool_calls).toEqual([]);
    const tool = approved.body.messages.find((m: any) => m.tool_call_id === pending.id);
    expect(tool).toMatchObject({ status: "executed", result: { title: "buy milk", done: false } });
    expect(lastText(approved.body)).toContain("buy milk");

    const todos = (await as(u).get("/api/todos")).body;
    expect(todos.items).toMatchObject([{ title: "buy milk", done: false, version: 1 }]);
    // The todo's id is the tool call's: running the call again could never make a second one.
    expect(todos.items[0].id).toBe(pending.id);

    const feed = (await as(u).get("/api/sync/changes")).body.changes;
    expect(feed.some((ch: any) => ch.entity === "todo" && ch.data?.title === "buy milk")).toBe(true);
    expect(feed.some((ch: any) => ch.entity === "tool_call" && ch.data?.status === "executed")).toBe(true);
    const live = await socket.next((m) => m.type === "changes" && m.changes.some((ch: any) => ch.entity === "todo"));
    expect(live.changes.find((ch: any) => ch.entity === "todo").data.title).toBe("buy milk");
    // Status changes reach the socket too.
    await socket.next((m) => m.changes?.some((ch: any) => ch.entity === "conversation" && ch.data.status === "idle"));
    socket.close();
  });

  test("deny: no todo, the denial is recorded and the model is told", async () => {
    const u = await signup();
    const id = await conversation(u);
    const sent = await send(u, id, "add todo water plants");
    const theCall = sent.body.pending_tool_calls[0];
    const denied = await approve(u, id, [{ tool_call_id: theCall.id, approved: false }]);
    expect(denied.status).toBe(200);
    expect(denied.body.status).toBe("idle");
    expect(denied.body.messages.find((m: any) => m.tool_call_id === theCall.id)).toMatchObject({
      status: "denied",
      result: { reason: "Denied by the user." },
    });
    expect(lastText(denied.body)).toMatch(/denied/i);
    expect((await as(u).get("/api/todos")).body.total).toBe(0);
  });

  test("approving twice → 409 tool_call_not_pending; an unknown call → 404", async () => {
    const u = await signup();
    const id = await conversation(u);
    const theCall = (await send(u, id, "add todo once")).body.pending_tool_calls[0];
    expect((await approve(u, id, [{ tool_call_id: theCall.id, approved: true }])).status).toBe(200);
    const again = await approve(u, id, [{ tool_call_id: theCall.id, approved: true }]);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("tool_call_not_pending");
    expect((await as(u).get("/api/todos")).body.total).toBe(1);

    const other = (await send(u, id, "add todo twice")).body.pending_tool_calls[0];
    const unknown = await approve(u, id, [{ tool_call_id: crypto.randomUUID(), approved: true }]);
    expect(unknown.status).toBe(404);
    // Nothing changed: the real call is still pending.
    const state = await as(u).get(`${A}/${id}/state`);
    expect(state.body.pending_tool_calls.map((c: any) => c.id)).toEqual([other.id]);
  });

  test("parallel approvals of one call: exactly one runs it", async () => {
    const u = await signup();
    const id = await conversation(u);
    const theCall = (await send(u, id, "add todo race")).body.pending_tool_calls[0];
    const results = await Promise.all(
      Array.from({ length: 5 }, () => approve(u, id, [{ tool_call_id: theCall.id, approved: true }])),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect((await as(u).get("/api/todos")).body.total).toBe(1);
  });

  test("sending while awaiting approval → 409 conversation_busy", async () => {
    const u = await signup();
    const id = await conversation(u);
    await send(u, id, "add todo x");
    const busy = await send(u, id, "list todos");
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe("conversation_busy");
  });
});

describe("assistant: the rules grammar end to end", () => {
  test("reading tools run at once; complete/delete pick the oldest open todo with that title", async () => {
    const u = await signup();
    const api = as(u);
    const first = (await api.post("/api/todos", { title: "Buy milk" })).body;
    const second = (await api.post("/api/todos", { title: "buy MILK" })).body;
    await api.post("/api/todos", { title: "call mom" });
    const id = await conversation(u);

    const listed = await send(u, id, "LIST TODOS");
    expect(listed.body.status).toBe("idle");
    expect(lastText(listed.body)).toMatch(/Buy milk.*call mom|call mom.*Buy milk/);

    const complete = await send(u, id, "complete todo buy milk");
    expect(complete.body.status).toBe("awaiting_approval");
    const theCall = complete.body.pending_tool_calls[0];
    expect(theCall).toMatchObject({ name: "complete_todo", input: { id: first.id } });
    const done = await approve(u, id, [{ tool_call_id: theCall.id, approved: true }]);
    expect(lastText(done.body)).toBe('Marked "Buy milk" as done.');
    expect((await api.get(`/api/todos/${first.id}`)).body).toMatchObject({ done: true, version: 2 });
    expect((await api.get(`/api/todos/${second.id}`)).body.done).toBe(false);

    const none = await send(u, id, "delete todo walk the dog");
    expect(none.body.status).toBe("idle");
    expect(none.body.pending_tool_calls).toEqual([]);
    expect(lastText(none.body)).toBe('You have no open todo called "walk the dog".');

    const help = await send(u, id, "hello there");
    expect(lastText(help.body)).toMatch(/add todo/);
    const tooLong = await send(u, id, "focus 241");
    expect(lastText(tooLong.body)).toMatch(/1 to 240/);

    const focus = await send(u, id, "focus 25");
    const start = focus.body.pending_tool_calls[0];
    expect(start).toMatchObject({ name: "start_focus", input: { minutes: 25 } });
    await approve(u, id, [{ tool_call_id: start.id, approved: true }]);
    expect((await api.get("/api/focus/active")).body.session).toMatchObject({ duration_s: 1500, status: "active" });
    const status = await send(u, id, "focus status");
    expect(lastText(status.body)).toMatch(/active with 2[45] minutes left/);

    const capture = await send(u, id, "capture idea for a song");
    await approve(u, id, [{ tool_call_id: capture.body.pending_tool_calls[0].id, approved: true }]);
    const inbox = await send(u, id, "list inbox");
    expect(lastText(inbox.body)).toBe('Your inbox: "idea for a song".');
    await api.post("/api/references", { title: "Composition notes", content: "voice leading" });
    const found = await send(u, id, "find compos");
    expect(lastText(found.body)).toBe('Found 1 reference: "Composition notes".');
  });

  test("a failing approved call is recorded as failed and reported", async () => {
    const u = await signup();
    const api = as(u);
    await api.post("/api/focus/sessions", { duration_s: 600 });
    const id = await conversation(u);
    const theCall = (await send(u, id, "focus 10")).body.pending_tool_calls[0];
    const r = await approve(u, id, [{ tool_call_id: theCall.id, approved: true }]);
    expect(r.body.messages.at(-2)).toMatchObject({
      status: "failed",
      result: { error: { code: "focus_session_running" } },
    });
    expect(lastText(r.body)).toMatch(/did not work/);
  });
});

describe("assistant: state, concurrency, ownership, leases", () => {
  test("ten parallel send_message on one idle conversation: one proceeds, the rest 409", async () => {
    const u = await signup();
    const id = await conversation(u);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => send(u, id, `add todo parallel ${i}`)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === "conversation_busy")).toHaveLength(9);
    const state = (await as(u).get(`${A}/${id}/state`)).body;
    expect(state.messages.filter((m: any) => m.role === "user")).toHaveLength(1);
    expect(state.pending_tool_calls).toHaveLength(1);
  });

  test("state: ETag, 304 while unchanged, a new ETag after a change", async () => {
    const u = await signup();
    const id = await conversation(u);
    const first = await as(u).get(`${A}/${id}/state`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "idle", messages: [], pending_tool_calls: [] });
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"\d+"$/);
    const again = await as(u).get(`${A}/${id}/state`, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    // An unchanged state costs the session query and one read of the conversation.
    expect(Number(again.headers.get("x-db-queries"))).toBeLessThanOrEqual(2);
    await send(u, id, "list todos");
    const changed = await as(u).get(`${A}/${id}/state`, { "if-none-match": etag });
    expect(changed.status).toBe(200);
    // Untitled, it is named after its first message.
    expect(changed.body.conversation.title).toBe("list todos");
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.body.messages.length).toBe(4);
  });

  test("another user's conversation is 404 on every route", async () => {
    const owner = await signup();
    const other = await signup();
    const id = await conversation(owner);
    const theCall = (await send(owner, id, "add todo private")).body.pending_tool_calls[0];
    const o = as(other);
    const responses = [
      await o.get(`${A}/${id}`),
      await o.get(`${A}/${id}/state`),
      await o.del(`${A}/${id}`),
      await send(other, id, "list todos"),
      await approve(other, id, [{ tool_call_id: theCall.id, approved: true }]),
    ];
    for (const r of responses) {
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain("private");
    }
    expect((await o.get(A)).body.total).toBe(0);
    expect((await as(owner).get(`${A}/${id}/state`)).body.pending_tool_calls).toHaveLength(1);
    expect((await as(other).get("/api/todos")).body.total).toBe(0);
  });

  test("Postgres holds the invariants: no message or call in another user's conversation, no claim-less running", async () => {
    const a = await signup();
    const b = await signup();
    const id = await conversation(a);
    const handle = openOwnerDb();
    const code = async (q: string) => {
      try {
        await handle.db.execute(q);
        return "ok";
      } catch (err) {
        for (let e: any = err; e; e = e.cause) if (e.code) return e.code as string;
        return "unknown";
      }
    };
    try {
      // Same-owner foreign keys: B's rows can't point at A's conversation.
      expect(
        await code(
          `insert into messages (id, user_id, conversation_id, seq, role, content) values (gen_random_uuid(), '${b.id}', '${id}', 1, 'user', 'x')`,
        ),
      ).toBe("23503");
      expect(
        await code(
          `insert into tool_calls (id, user_id, conversation_id, call_id, name, input, status) values (gen_random_uuid(), '${b.id}', '${id}', 'c', 'list_todos', '{}', 'executed')`,
        ),
      ).toBe("23503");
      // running ⇔ a claim; statuses and roles are closed sets; a tool message has its call.
      expect(await code(`update conversations set status = 'running' where id = '${id}'`)).toBe("23514");
      expect(await code(`update conversations set status = 'thinking' where id = '${id}'`)).toBe("23514");
      expect(
        await code(
          `insert into messages (id, user_id, conversation_id, seq, role, content) values (gen_random_uuid(), '${a.id}', '${id}', 1, 'tool', '')`,
        ),
      ).toBe("23514");
      expect(await code(`insert into todos (id, user_id, title) values (gen_random_uuid(), '${a.id}', '')`)).toBe(
        "23514",
      );
    } finally {
      await handle.close();
    }
  });

  test("a lease that expired mid-run becomes error; a retry then succeeds", async () => {
    const u = await signup();
    const id = await conversation(u);
    await send(u, id, "list todos");
    // A run that claimed the conversation and then died with its isolate.
    const handle = openOwnerDb();
    try {
      await handle.db.execute(
        `update conversations set status = 'running', run_id = gen_random_uuid(), lease_until = now() - interval '1 second' where id = '${id}'`,
      );
    } finally {
      await handle.close();
    }
    const state = await as(u).get(`${A}/${id}/state`);
    expect(state.body.status).toBe("error");
    expect(state.body.conversation.error).toMatch(/retry/);
    const retry = await send(u, id, "add todo after the crash");
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe("awaiting_approval");
    expect(retry.body.conversation.error).toBeNull();
  });

  test("a live lease keeps other sends out", async () => {
    const u = await signup();
    const id = await conversation(u);
    const handle = openOwnerDb();
    try {
      await handle.db.execute(
        `update conversations set status = 'running', run_id = gen_random_uuid(), lease_until = now() + interval '1 minute' where id = '${id}'`,
      );
    } finally {
      await handle.close();
    }
    expect((await send(u, id, "list todos")).status).toBe(409);
    expect((await as(u).get(`${A}/${id}/state`)).body.status).toBe("running");
  });

  test("Idempotency-Key on send_message replays the first answer", async () => {
    const u = await signup();
    const id = await conversation(u);
    const key = { "idempotency-key": crypto.randomUUID() };
    const first = await send(u, id, "add todo keyed", key);
    const second = await send(u, id, "add todo keyed", key);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  test("validation: 422 for bad bodies, 404 for non-UUID ids; delete removes messages from the feed", async () => {
    const u = await signup();
    const id = await conversation(u);
    for (const bad of [{}, { content: "" }, { content: 5 }, { content: "x", extra: 1 }, { content: "x".repeat(4001) }])
      expect((await as(u).post(`${A}/${id}/actions/send_message`, bad)).status).toBe(422);
    for (const bad of [{}, { approvals: [] }, { approvals: [{ tool_call_id: "nope", approved: true }] }])
      expect((await as(u).post(`${A}/${id}/actions/approve_tools`, bad)).status).toBe(422);
    expect((await as(u).get(`${A}/not-a-uuid/state`)).status).toBe(404);
    expect((await call("GET", `${A}/${id}/state`)).status).toBe(401);

    await send(u, id, "list todos");
    expect((await as(u).del(`${A}/${id}`)).status).toBe(204);
    expect((await as(u).get(`${A}/${id}/state`)).status).toBe(404);
    const feed = (await as(u).get("/api/sync/changes")).body.changes;
    const last = new Map<string, string>();
    for (const ch of feed) if (["message", "tool_call", "conversation"].includes(ch.entity)) last.set(ch.id, ch.op);
    expect(last.size).toBeGreaterThan(3);
    expect([...last.values()].every((op) => op === "delete")).toBe(true);
  });
});

describe("todos REST", () => {
  test("create, list with filter, update with If-Match, delete; validation", async () => {
    const u = await signup();
    const api = as(u);
    const created = await api.post("/api/todos", { title: "  Write report ", due_at: "2026-12-24T10:00:00Z" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: "Write report",
      done: false,
      due_at: "2026-12-24T10:00:00.000Z",
      version: 1,
    });
    const tid = created.body.id;
    const stale = await api.put(`/api/todos/${tid}`, { done: true }, { "if-match": '"7"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details.current.version).toBe(1);
    const updated = await api.put(`/api/todos/${tid}`, { done: true, due_at: null }, { "if-match": '"1"' });
    expect(updated.body).toMatchObject({ done: true, due_at: null, version: 2 });
    expect((await api.get("/api/todos?done=false")).body.total).toBe(0);
    expect((await api.get("/api/todos?done=true")).body.total).toBe(1);
    for (const bad of [
      {},
      { title: "" },
      { title: "x".repeat(501) },
      { title: "a", done: "yes" },
      { title: "a", due_at: "tomorrow" },
    ])
      expect((await api.post("/api/todos", bad)).status).toBe(422);
    expect((await api.get("/api/todos?done=maybe")).status).toBe(400);
    expect((await api.del(`/api/todos/${tid}`)).status).toBe(204);
    expect((await api.get(`/api/todos/${tid}`)).status).toBe(404);
  });
});
