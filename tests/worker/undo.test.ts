/**
 * Undo (issue 24): `POST /api/history/undo` (one change, named as the feed
 * names it), "Undo" on an executed assistant tool call, and the tools
 * `undo_last_action` / `list_recent_changes` over MCP (official SDK client)
 * and in the chat with the rules model. Each undo is one database call,
 * version-checked and idempotent.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";
import { connectMcp } from "../support/mcp";

beforeAll(() => call("GET", "/api/health"), 120_000);

const q = (r: { headers: Headers }) => Number(r.headers.get("x-db-queries"));
const key = () => ({ "idempotency-key": crypto.randomUUID() });
const undo = (u: TestUser, change: { entity: string; id: string; version: number }) =>
  as(u).post("/api/history/undo", change, key());

describe("POST /api/history/undo", () => {
  test("undoes a creation, an edit and a delete, one round trip each; twice writes once", async () => {
    const u = await signup();
    const api = as(u);
    const todo = (await api.post("/api/todos", { title: "draft" })).body;
    const edited = (await api.put(`/api/todos/${todo.id}`, { title: "final", done: true })).body;

    const r1 = await undo(u, { entity: "todo", id: todo.id, version: edited.version });
    expect([r1.status, q(r1)]).toEqual([200, 1]);
    expect(r1.body).toMatchObject({
      entity: "todo",
      id: todo.id,
      changed: true,
      record: { title: "draft", done: false, version: 3 },
    });
    const again = await undo(u, { entity: "todo", id: todo.id, version: edited.version });
    expect(again.body).toMatchObject({ changed: false, record: { version: 3 } });

    expect((await api.del(`/api/todos/${todo.id}`)).status).toBe(204);
    const back = await undo(u, { entity: "todo", id: todo.id, version: 4 }); // the tombstone's version
    expect([back.status, q(back), back.body.changed]).toEqual([200, 1, true]);
    expect((await api.get(`/api/todos/${todo.id}`)).body).toMatchObject({ title: "draft", version: 5 });

    const note = (await api.post("/api/user/inbox", { title: "captured by mistake" })).body;
    const gone = await undo(u, { entity: "inbox_item", id: note.id, version: 1 });
    expect([gone.status, q(gone)]).toEqual([200, 1]);
    expect(gone.body).toMatchObject({ changed: true, record: null });
    expect((await api.get(`/api/user/inbox/${note.id}`)).status).toBe(404);
    expect((await undo(u, { entity: "inbox_item", id: note.id, version: 1 })).body).toMatchObject({ changed: false });
    // …and the undone creation is in the trash: undo can be undone.
    expect((await api.get("/api/trash")).body.items.map((e: { record_id: string }) => e.record_id)).toContain(note.id);

    const feed = (await api.get("/api/sync/changes?since=0")).body.changes as {
      id: string;
      op: string;
      version: number;
    }[];
    expect(feed.filter((c) => c.id === note.id).at(-1)).toMatchObject({ op: "delete", version: 2 });
  });

  test("a record changed since the change → 409 with both versions, nothing written", async () => {
    const u = await signup();
    const api = as(u);
    const ref = (await api.post("/api/references", { title: "v1", content: "a" })).body;
    await api.put(`/api/references/${ref.id}`, { title: "v2" });
    await api.put(`/api/references/${ref.id}`, { title: "v3 from the phone" });
    const r = await undo(u, { entity: "reference", id: ref.id, version: 2 });
    expect([r.status, r.body.error.code]).toEqual([409, "version_conflict"]);
    expect(r.body.error.details).toMatchObject({
      current: { title: "v3 from the phone", version: 3 },
      restoring: { title: "v1" },
    });
    const created = await undo(u, { entity: "reference", id: ref.id, version: 1 }); // undo the creation: it moved on
    expect(created.status).toBe(409);
    expect((await api.get(`/api/references/${ref.id}`)).body).toMatchObject({ title: "v3 from the phone", version: 3 });
  });

  test("bad input is a 4xx; another user's record is untouched", async () => {
    const a = await signup();
    const b = await signup();
    const todo = (await as(a).post("/api/todos", { title: "A's" })).body;
    expect((await undo(b, { entity: "todo", id: todo.id, version: 1 })).body).toMatchObject({
      changed: false,
      record: null,
    });
    expect((await as(a).get(`/api/todos/${todo.id}`)).status).toBe(200);
    for (const bad of [
      { entity: "wallet", id: todo.id, version: 1 },
      { entity: "todo", id: "nope", version: 1 },
      { entity: "todo", id: todo.id, version: 0 },
      { entity: "todo", id: todo.id },
      { entity: "todo", id: todo.id, version: 1, extra: true },
    ])
      expect((await as(a).post("/api/history/undo", bad)).status).toBe(422);
  });
});

const A = "/api/assistant/conversations";
async function approved(u: TestUser, conv: string, content: string) {
  const sent = await as(u).post(`${A}/${conv}/actions/send_message`, { content });
  expect(sent.body.status, JSON.stringify(sent.body)).toBe("awaiting_approval");
  const pending = sent.body.pending_tool_calls[0];
  const done = await as(u).post(`${A}/${conv}/actions/approve_tools`, {
    approvals: [{ tool_call_id: pending.id, approved: true }],
  });
  expect(done.status).toBe(200);
  return { call: pending as { id: string; name: string; preview: { summary: string } }, state: done.body };
}
const undoCall = (u: TestUser, id: string) => as(u).post(`/api/assistant/tool-calls/${id}/undo`, undefined, key());

describe("Undo on an executed assistant tool call", () => {
  test("a created todo is deleted, a deleted one comes back, a started focus session is abandoned", async () => {
    const u = await signup();
    const api = as(u);
    const conv = (await api.post(A, {})).body.id as string;

    const { call: add } = await approved(u, conv, "add todo water the plants");
    expect((await api.get(`/api/todos/${add.id}`)).status).toBe(200);
    const before = (await api.get(`${A}/${conv}/state`)).headers.get("etag");
    const r = await undoCall(u, add.id);
    expect([r.status, q(r)]).toEqual([200, 1]);
    expect(r.body).toMatchObject({ id: add.id, name: "create_todo", status: "executed" });
    expect(r.body.undone_at).toBeTruthy();
    expect((await api.get(`/api/todos/${add.id}`)).status).toBe(404);
    // The conversation moved on (a new state ETag), so every device's state shows the undo.
    const state = await api.get(`${A}/${conv}/state`);
    expect(state.headers.get("etag")).not.toBe(before);
    expect(state.body.messages.find((m: any) => m.tool_call_id === add.id).undone_at).toBe(r.body.undone_at);
    // Idempotent: the second undo returns the call as it is.
    const twice = await undoCall(u, add.id);
    expect([twice.status, twice.body.undone_at]).toEqual([200, r.body.undone_at]);

    const milk = (await api.post("/api/todos", { title: "milk" })).body;
    const { call: del } = await approved(u, conv, "delete todo milk");
    expect((await api.get(`/api/todos/${milk.id}`)).status).toBe(404);
    expect((await undoCall(u, del.id)).status).toBe(200);
    expect((await api.get(`/api/todos/${milk.id}`)).body).toMatchObject({ title: "milk", done: false });

    const { call: focus } = await approved(u, conv, "focus 25");
    expect((await api.get("/api/focus/active")).body.session).toMatchObject({ status: "active" });
    expect((await undoCall(u, focus.id)).status).toBe(200);
    expect((await api.get("/api/focus/active")).body.session).toBeNull();
    const history = (await api.get("/api/focus/sessions")).body.items;
    expect(history.find((s: any) => s.id === focus.id)).toMatchObject({ status: "abandoned" });
  });

  test("a completed todo edited since → 409 with both versions; a reading call is not undoable", async () => {
    const u = await signup();
    const api = as(u);
    const conv = (await api.post(A, {})).body.id as string;
    const todo = (await api.post("/api/todos", { title: "report" })).body;
    const { call: complete } = await approved(u, conv, "complete todo report");
    await api.put(`/api/todos/${todo.id}`, { title: "report (sent)" });
    const r = await undoCall(u, complete.id);
    expect([r.status, r.body.error.code]).toEqual([409, "version_conflict"]);
    expect(r.body.error.details.current).toMatchObject({ title: "report (sent)", done: true });
    expect((await api.get(`/api/todos/${todo.id}`)).body.title).toBe("report (sent)");

    const listed = await api.post(`${A}/${conv}/actions/send_message`, { content: "list todos" });
    const reading = listed.body.messages.find((m: any) => m.name === "list_todos");
    const refused = await undoCall(u, reading.tool_call_id);
    expect([refused.status, refused.body.error.code]).toEqual([409, "not_undoable"]);
    const other = await signup();
    expect((await undoCall(other, complete.id)).status).toBe(404);
  });

  test('"undo" in the chat waits for approval, then undoes the last change; "recent changes" reads at once', async () => {
    const u = await signup();
    const api = as(u);
    const conv = (await api.post(A, {})).body.id as string;
    const note = (await api.post("/api/user/inbox", { title: "keep this" })).body;
    await api.del(`/api/user/inbox/${note.id}`);

    const recent = await api.post(`${A}/${conv}/actions/send_message`, { content: "recent changes" });
    expect(recent.body.status).toBe("idle");
    const lastReply = recent.body.messages.filter((m: any) => m.role === "assistant").at(-1).content;
    expect(lastReply).toBe('Your latest changes: deleted "keep this", created "keep this".');

    const { call: undoCallRow, state } = await approved(u, conv, "undo");
    expect(undoCallRow.name).toBe("undo_last_action");
    // The approval card names what will come back, read from the database.
    expect(undoCallRow.preview.summary).toBe("Bring back the inbox item “keep this”");
    expect(state.messages.filter((m: any) => m.role === "assistant").at(-1).content).toBe(
      "Undid the deletion of inbox item.",
    );
    expect((await api.get(`/api/user/inbox/${note.id}`)).body).toMatchObject({ title: "keep this" });
    // The undo itself is undoable from its card: the note goes again.
    expect((await undoCall(u, undoCallRow.id)).status).toBe(200);
    expect((await api.get(`/api/user/inbox/${note.id}`)).status).toBe(404);
  });
});

describe("MCP: undo_last_action and list_recent_changes", () => {
  test("annotations; recent changes lists; undo restores, again undoes the undo; nothing → a tool error", async () => {
    const u = await signup();
    const client = await connectMcp(u.token);
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === "undo_last_action")!.annotations).toMatchObject({
      destructiveHint: true,
      readOnlyHint: false,
    });
    expect(tools.find((t) => t.name === "list_recent_changes")!.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });

    const empty = await client.callTool({ name: "undo_last_action", arguments: {} });
    expect(empty.isError).toBe(true);
    expect((empty.content as any)[0].text).toMatch(/^nothing_to_undo:/);

    const todo = (await as(u).post("/api/todos", { title: "plan" })).body;
    await as(u).put(`/api/todos/${todo.id}`, { title: "plan v2" });
    const recent = (await client.callTool({ name: "list_recent_changes", arguments: { limit: 5 } }))
      .structuredContent as any;
    expect(recent.changes.map((c: any) => `${c.kind} ${c.title}`)).toEqual(["edited plan v2", "created plan"]);

    const undone = await client.callTool({ name: "undo_last_action", arguments: {} });
    expect(undone.isError).toBeFalsy();
    expect(undone.structuredContent).toMatchObject({
      entity: "todo",
      id: todo.id,
      changed: true,
      record: { title: "plan", version: 3 },
      undid: { op: "upsert", version: 2 },
    });
    expect((await as(u).get(`/api/todos/${todo.id}`)).body.title).toBe("plan");
    const redo = await client.callTool({ name: "undo_last_action", arguments: {} });
    expect(redo.structuredContent).toMatchObject({ record: { title: "plan v2", version: 4 } });
    expect((await as(u).get(`/api/todos/${todo.id}`)).body.title).toBe("plan v2");
    await client.close();
  });
});
