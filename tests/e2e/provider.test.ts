/**
 * The `openai-compatible` provider end to end: the real app (wrangler dev +
 * the run's Postgres) configured as a deploy would be — ASSISTANT_PROVIDER,
 * ASSISTANT_BASE_URL, ASSISTANT_API_KEY, ASSISTANT_MODEL — against a local
 * server speaking the chat-completions protocol (./chat-completions-server.ts).
 *
 * The "model" first calls a reading tool (run at once, its result sent back),
 * then a data-changing one (waits for approval); once approved, the tool
 * runs, its result goes back to the model, and the model's answer is what
 * the user reads — in the API and on the Assistant screen. The test checks
 * what the server received at every step, as well as what the user sees.
 *
 * The Worker asks for non-streamed completions (run.ts uses generateText);
 * the server's streamed (SSE) answers are checked against the same provider
 * package in the last test, so both wire forms are the protocol's.
 */
import { randomUUID } from "node:crypto";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { jsonSchema, streamText, tool } from "ai";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "./app.ts";
import { apiAs, desktopContext, launchBrowser, signIn, watchPage } from "./browser.ts";
import { startChatServer, type ChatRequest, type ChatServer, type Reply } from "./chat-completions-server.ts";

const API_KEY = `sk-test-${randomUUID()}`;
const MODEL = "continuum-test-model";
const FINAL = "Added “Buy oat milk” to your todos.";

let app: RunningApp;
let server: ChatServer;
let browser: Browser | undefined;
const script: Reply[] = [
  { toolCalls: [{ id: "call_list_1", name: "list_todos", arguments: { title: "oat milk" } }] },
  { toolCalls: [{ id: "call_create_1", name: "create_todo", arguments: { title: "Buy oat milk" } }] },
  { text: FINAL },
];

const creds = (() => {
  const username = `e2e_pv_${randomUUID().slice(0, 8)}`;
  return { email: `${username}@example.test`, username, password: "provider-pass-123" };
})();

beforeAll(async () => {
  server = await startChatServer((_req, n) => {
    const reply = script[n];
    if (!reply) throw new Error(`unexpected request #${n + 1}`);
    return reply;
  });
  app = await startApp({
    databaseUrl: inject("databaseUrl"),
    wsProxy: inject("wsProxy"),
    vars: {
      ASSISTANT_PROVIDER: "openai-compatible",
      ASSISTANT_BASE_URL: server.baseUrl,
      ASSISTANT_API_KEY: API_KEY,
      ASSISTANT_MODEL: MODEL,
    },
  });
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await app?.stop();
  await server?.close();
});

const toolNames = (req: ChatRequest) => (req.body.tools ?? []).map((t) => t.function.name).sort();
/** The text of a tool message's content (a string, or text parts). */
const contentText = (content: unknown) =>
  typeof content === "string" ? content : (content as Array<{ text?: string }>).map((p) => p.text ?? "").join("");

describe("assistant with an OpenAI-compatible provider", () => {
  let token = "";
  let conversation = "";

  it("sends the user's message with the tools; a reading call runs at once and its result goes back", async () => {
    const signup = await fetch(`${app.url}/api/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(creds),
    });
    expect(signup.status).toBe(201);
    token = ((await signup.json()) as { token: string }).token;
    const created = await apiAs(app.url, token, "POST", "/api/assistant/conversations", { title: "Groceries" });
    expect(created.status).toBe(201);
    conversation = created.body.id;

    const sent = await apiAs(
      app.url,
      token,
      "POST",
      `/api/assistant/conversations/${conversation}/actions/send_message`,
      {
        content: "Put oat milk on my list unless it is already there",
      },
    );
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.status).toBe("awaiting_approval");
    expect(sent.body.pending_tool_calls).toEqual([
      expect.objectContaining({ name: "create_todo", input: { title: "Buy oat milk" }, status: "pending_approval" }),
    ]);
    const listCall = sent.body.messages.find((m: { name?: string }) => m.name === "list_todos");
    expect(listCall).toMatchObject({ role: "tool", status: "executed", result: { items: [], total: 0 } });

    // What the provider received: two non-streamed requests, authenticated with the key, for the model.
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests as [ChatRequest, ChatRequest];
    for (const req of [first, second]) {
      expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(req.body.model).toBe(MODEL);
      expect(req.body.stream ?? false).toBe(false);
      expect(toolNames(req)).toEqual(
        [
          "capture_inbox",
          "complete_todo",
          "create_todo",
          "delete_todo",
          "focus_status",
          "list_inbox",
          "list_recent_changes",
          "list_todos",
          "search_references",
          "start_focus",
          "undo_last_action",
        ].sort(),
      );
    }
    const createTool = first.body.tools!.find((t) => t.function.name === "create_todo")!;
    expect(createTool.type).toBe("function");
    expect(createTool.function.parameters).toMatchObject({ type: "object", properties: { title: { type: "string" } } });
    expect(createTool.function.parameters.required).toContain("title");
    expect(first.body.messages).toEqual([
      { role: "system", content: expect.stringContaining("You are the assistant inside Continuum") },
      { role: "user", content: "Put oat milk on my list unless it is already there" },
    ]);

    // The second request carries the model's call and the reading tool's result, by the model's call id.
    expect(second.body.messages.slice(0, 2)).toEqual(first.body.messages);
    const [assistantTurn, toolTurn] = second.body.messages.slice(2);
    expect(assistantTurn).toMatchObject({
      role: "assistant",
      tool_calls: [{ id: "call_list_1", type: "function", function: { name: "list_todos" } }],
    });
    expect(JSON.parse(assistantTurn!.tool_calls![0]!.function.arguments)).toEqual({ title: "oat milk" });
    expect(toolTurn).toMatchObject({ role: "tool", tool_call_id: "call_list_1" });
    expect(JSON.parse(contentText(toolTurn!.content))).toEqual({ items: [], total: 0 });
    expect(second.body.messages).toHaveLength(4);

    // Nothing was written before the approval.
    expect((await apiAs(app.url, token, "GET", "/api/todos")).body.items).toEqual([]);
  });

  it("after approval the tool runs, its result goes back to the model, and the answer shows in the conversation", async () => {
    const state = await apiAs(app.url, token, "GET", `/api/assistant/conversations/${conversation}/state`);
    const pending = state.body.pending_tool_calls[0];
    const approved = await apiAs(
      app.url,
      token,
      "POST",
      `/api/assistant/conversations/${conversation}/actions/approve_tools`,
      { approvals: [{ tool_call_id: pending.id, approved: true }] },
    );
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe("idle");
    expect(approved.body.messages.at(-1)).toMatchObject({ role: "assistant", content: FINAL });

    const todos = (await apiAs(app.url, token, "GET", "/api/todos")).body.items;
    expect(todos).toEqual([expect.objectContaining({ title: "Buy oat milk", done: false })]);

    // The third request: the whole exchange so far, ending in the create_todo result (the new todo).
    expect(server.requests).toHaveLength(3);
    const third = server.requests[2]!;
    expect(third.body.messages.map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "assistant",
      "tool",
    ]);
    const create = third.body.messages[4]!;
    expect(create.tool_calls).toEqual([
      { id: "call_create_1", type: "function", function: { name: "create_todo", arguments: expect.any(String) } },
    ]);
    expect(JSON.parse(create.tool_calls![0]!.function.arguments)).toEqual({ title: "Buy oat milk" });
    const result = third.body.messages[5]!;
    expect(result.tool_call_id).toBe("call_create_1");
    expect(JSON.parse(contentText(result.content))).toMatchObject({ id: todos[0].id, title: "Buy oat milk" });

    // And on the Assistant screen: the executed call and the model's answer.
    browser = await launchBrowser();
    const ctx = await desktopContext(browser, app.url);
    const page = await ctx.newPage();
    const { errors } = watchPage(page, "desktop");
    await signIn(page, creds.username, creds.password);
    await page.goto(`/#/assistant/${conversation}`);
    await page.getByText(FINAL).waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.getByRole("listitem", { name: /Create a todo/ }).getAttribute("data-status"))
      .toBe("executed");
    expect(errors.filter((e) => e.includes("pageerror"))).toEqual([]);
  });

  it("the server's streamed (SSE) answers parse as tool calls and text with the same provider package", async () => {
    const sse = await startChatServer((_req, n) =>
      n === 0
        ? { toolCalls: [{ id: "call_s1", name: "create_todo", arguments: { title: "Streamed" } }] }
        : { text: FINAL },
    );
    try {
      const model = createOpenAICompatible({ name: "openai-compatible", baseURL: sse.baseUrl, apiKey: API_KEY })(MODEL);
      const tools = {
        create_todo: tool({
          description: "Create a todo",
          inputSchema: jsonSchema<{ title: string }>({
            type: "object",
            properties: { title: { type: "string" } },
            required: ["title"],
          }),
        }),
      };
      const call = streamText({ model, prompt: "add a todo", tools });
      expect(await call.toolCalls).toEqual([
        expect.objectContaining({ toolCallId: "call_s1", toolName: "create_todo", input: { title: "Streamed" } }),
      ]);
      expect(await call.finishReason).toBe("tool-calls");
      const text = streamText({ model, prompt: "and?" });
      expect(await text.text).toBe(FINAL);
      expect(sse.requests.map((r) => r.body.stream)).toEqual([true, true]);
    } finally {
      await sse.close();
    }
  });
});
