/**
 * Approval cards say what will change (issue #21): each pending call in the
 * conversation state carries a preview read from the database by the call's
 * own input — a delete names the todo it will really delete, whatever the
 * model said.
 */
import { sql } from "drizzle-orm";
import { beforeAll, expect, test } from "vitest";
import { as, call, signup } from "../support/api";
import { dbRows } from "../support/db";

beforeAll(() => call("GET", "/api/health"), 120_000);

test("pending calls carry what they will change: the todo's real title, the focus minutes", async () => {
  const u = await signup();
  const conv = (await as(u).post("/api/assistant/conversations", {})).body.id as string;
  const send = (content: string) =>
    as(u).post(`/api/assistant/conversations/${conv}/actions/send_message`, { content });
  const decide = (id: string, approved: boolean) =>
    as(u).post(`/api/assistant/conversations/${conv}/actions/approve_tools`, {
      approvals: [{ tool_call_id: id, approved }],
    });

  const created = (await send("add todo water the plants")).body;
  expect(created.pending_tool_calls[0].preview).toEqual({ summary: "Create the todo “water the plants”" });
  const msg = created.messages.find((m: any) => m.tool_call_id === created.pending_tool_calls[0].id);
  expect(msg.preview.summary).toBe("Create the todo “water the plants”");
  await decide(created.pending_tool_calls[0].id, true);

  const keep = (await as(u).post("/api/todos", { title: "file the taxes" })).body;
  const del = (await send("delete todo water the plants")).body.pending_tool_calls[0];
  expect(del.preview.summary).toBe("Delete the todo “water the plants”");

  // A call whose input names another todo than the model described: the card names the real target.
  await dbRows(sql`update tool_calls set input = ${JSON.stringify({ id: keep.id })}::jsonb where id = ${del.id}`);
  const state = (await as(u).get(`/api/assistant/conversations/${conv}/state`)).body;
  expect(state.pending_tool_calls[0].preview).toEqual({
    summary: "Delete the todo “file the taxes”",
    todo: { id: keep.id, title: "file the taxes", done: false },
  });
  await decide(del.id, false);

  const focus = (await send("focus 25")).body.pending_tool_calls[0];
  expect(focus.preview).toEqual({ summary: "Start a 25-minute focus session", minutes: 25 });
});
