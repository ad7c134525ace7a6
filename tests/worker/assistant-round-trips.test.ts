/**
 * The assistant and MCP at the round-trip budget (issue 20), by count, not by
 * the clock: `X-Db-Queries` is what the driver sent, `X-Db-Connections` the
 * WebSocket connections it opened. send_message and approve_tools are
 * pipelined (the session check leads the claim, which counts the run rate
 * and returns the history), an approved call's guard rides with its write,
 * and /mcp checks a session token or a personal access token in the tool's own batch.
 */
import { describe, expect, test } from "vitest";
import { as, call, signup } from "../support/api";

const q = (r: { headers: Headers }) => Number(r.headers.get("x-db-queries"));
const conns = (r: { headers: Headers }) => Number(r.headers.get("x-db-connections"));
const key = () => ({ "idempotency-key": crypto.randomUUID() });

describe("assistant messages: the claim, the model, the end of the run", () => {
  test("a reply: 2 round trips; a reading tool known from the message: 2 (its read rides with the claim); an approval: +1 (the tool's write); no connection", async () => {
    const u = await signup();
    const conv = (await as(u).post("/api/assistant/conversations", {})).body.id as string;
    const base = `/api/assistant/conversations/${conv}/actions`;

    const hello = await as(u).post(`${base}/send_message`, { content: "hello" }, key());
    expect(hello.status).toBe(200);
    expect(hello.body.pending_tool_calls).toEqual([]);
    expect(hello.body.messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    expect([q(hello), conns(hello)]).toEqual([2, 0]);

    // The read rides with the claim, and answers what is there (a todo written just before).
    expect((await as(u).post("/api/todos", { title: "read with the claim" })).status).toBe(201);
    const listed = await as(u).post(`${base}/send_message`, { content: "list todos" }, key());
    expect(listed.status).toBe(200);
    const read = listed.body.messages.find((m: any) => m.name === "list_todos");
    expect(read).toMatchObject({ status: "executed", result: { total: 1 } });
    expect(read.result.items.map((t: any) => t.title)).toEqual(["read with the claim"]);
    expect(listed.body.messages.at(-1).content).toBe('Your todos: open "read with the claim".');
    expect([q(listed), conns(listed)]).toEqual([2, 0]);

    // "complete todo …": the model reads first (list_todos with the title, prefetched), then asks to approve.
    const pick = await as(u).post(`${base}/send_message`, { content: "complete todo read with the claim" }, key());
    expect(pick.status).toBe(200);
    expect(pick.body.pending_tool_calls.map((p: any) => p.name)).toEqual(["complete_todo"]);
    expect([q(pick), conns(pick)]).toEqual([2, 0]);
    const denied = await as(u).post(
      `${base}/approve_tools`,
      { approvals: [{ tool_call_id: pick.body.pending_tool_calls[0].id, approved: false }] },
      key(),
    );
    expect(denied.status).toBe(200);

    const asked = await as(u).post(`${base}/send_message`, { content: "add todo round trips" }, key());
    const pending = asked.body.pending_tool_calls[0];
    expect(pending.name).toBe("create_todo");
    const approved = await as(u).post(
      `${base}/approve_tools`,
      { approvals: [{ tool_call_id: pending.id, approved: true }] },
      key(),
    );
    expect(approved.status).toBe(200);
    const done = approved.body.messages.find((m: any) => m.tool_call_id === pending.id);
    expect(done).toMatchObject({ status: "executed", result: { title: "round trips", done: false } });
    expect((await as(u).get(`/api/todos/${pending.id}`)).body.title).toBe("round trips");
    expect([q(approved), conns(approved)]).toEqual([3, 0]);
  });

  test("an approval naming the call as the state showed it: its write goes with the claim (2); a call named otherwise runs as stored", async () => {
    const u = await signup();
    const conv = (await as(u).post("/api/assistant/conversations", {})).body.id as string;
    const base = `/api/assistant/conversations/${conv}/actions`;
    const ask = async (content: string) => {
      const r = await as(u).post(`${base}/send_message`, { content }, key());
      expect(r.status).toBe(200);
      return r.body.pending_tool_calls[0] as { id: string; name: string; input: Record<string, unknown> };
    };

    const first = await ask("add todo with the claim");
    const approved = await as(u).post(
      `${base}/approve_tools`,
      { approvals: [{ tool_call_id: first.id, approved: true, name: first.name, input: first.input }] },
      key(),
    );
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe("idle");
    const done = approved.body.messages.find((m: any) => m.tool_call_id === first.id);
    expect(done).toMatchObject({ status: "executed", result: { title: "with the claim", done: false } });
    expect(approved.body.messages.at(-1).content).toBe('Added todo "with the claim".');
    expect((await as(u).get(`/api/todos/${first.id}`)).body.title).toBe("with the claim");
    expect([q(approved), conns(approved)]).toEqual([2, 0]);

    // The request names another input than the stored call's: nothing of it runs; the stored call does.
    const second = await ask("add todo as stored");
    const changed = await as(u).post(
      `${base}/approve_tools`,
      { approvals: [{ tool_call_id: second.id, approved: true, name: "create_todo", input: { title: "forged" } }] },
      key(),
    );
    expect(changed.status).toBe(200);
    expect(changed.body.messages.find((m: any) => m.tool_call_id === second.id)).toMatchObject({
      status: "executed",
      result: { title: "as stored" },
    });
    const titles = (await as(u).get("/api/todos")).body.items.map((t: any) => t.title).sort();
    expect(titles).toEqual(["as stored", "with the claim"]);

    // A tool that refuses (the todo is gone) is recorded as failed, as on the usual way.
    const third = await ask("complete todo as stored");
    expect((await as(u).del(`/api/todos/${second.id}`)).status).toBe(204);
    const failed = await as(u).post(
      `${base}/approve_tools`,
      { approvals: [{ tool_call_id: third.id, approved: true, name: third.name, input: third.input }] },
      key(),
    );
    expect(failed.status).toBe(200);
    expect(failed.body.messages.find((m: any) => m.tool_call_id === third.id)).toMatchObject({ status: "failed" });
    expect(failed.body.status).toBe("idle");

    // Approving the same call again: 409, as without the name.
    const again = await as(u).post(
      `${base}/approve_tools`,
      { approvals: [{ tool_call_id: first.id, approved: true, name: first.name, input: first.input }] },
      key(),
    );
    expect(again.status).toBe(409);
  });

  test("a forged token on the pipelined claim: 401, nothing claimed or counted", async () => {
    const u = await signup();
    const conv = (await as(u).post("/api/assistant/conversations", {})).body.id as string;
    const forged = `${u.id}.${"A".repeat(43)}`;
    const r = await call("POST", `/api/assistant/conversations/${conv}/actions/send_message`, {
      token: forged,
      json: { content: "add todo not mine" },
    });
    expect(r.status).toBe(401);
    const state = await as(u).get(`/api/assistant/conversations/${conv}/state`);
    expect(state.body.status).toBe("idle");
    expect(state.body.messages).toEqual([]);
  });
});

describe("POST /mcp", () => {
  const rpc = (token: string, id: number) =>
    call("POST", "/mcp", {
      token,
      headers: { accept: "application/json, text/event-stream" },
      json: { jsonrpc: "2.0", id, method: "tools/call", params: { name: "list_todos", arguments: {} } },
    });

  test("a session token: the check rides with the tool's query (1 round trip); a forged one: 401", async () => {
    const u = await signup();
    const r = await rpc(u.token, 1);
    expect(r.status).toBe(200);
    expect(r.body.result.isError).toBeFalsy();
    expect([q(r), conns(r)]).toEqual([1, 0]);
    const forged = await rpc(`${u.id}.${"A".repeat(43)}`, 2);
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("unauthorized");
  });

  test("a personal access token of either scope: 1 round trip too; an `mcp` one still refused elsewhere", async () => {
    const u = await signup();
    for (const scope of ["mcp", "full"] as const) {
      const minted = await as(u).post("/api/auth/tokens", { name: `client ${scope}`, scope });
      expect(minted.status).toBe(201);
      const r = await rpc(minted.body.token, 3);
      expect(r.status, scope).toBe(200);
      expect(r.body.result.isError, scope).toBeFalsy();
      expect([q(r), conns(r)], scope).toEqual([1, 0]);
      // The pipelined routes check the scope in the same statement as the session.
      const todos = await as({ token: minted.body.token }).get("/api/todos");
      expect(todos.status, scope).toBe(scope === "full" ? 200 : 401);
      if (scope === "full") expect(q(todos)).toBe(1);
    }
  });
});
