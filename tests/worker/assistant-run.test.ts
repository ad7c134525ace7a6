/**
 * The state machine's edges with the AI SDK's mock model (ai/test) instead of
 * `rules`: a tool call, plain text, a model error (→ error, recoverable), and
 * a run that loses its lease (commits nothing). Real Postgres, real write path.
 */
import { env } from "cloudflare:workers";
import { MockLanguageModelV4 } from "ai/test";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { claimForSend, readConversation, readHistory } from "../../workers/assistant/conversations";
import { modelFromEnv } from "../../workers/assistant/model";
import { run } from "../../workers/assistant/run";
import { scopeFrom, type Scope } from "../../workers/sync/scope";
import { relayChanges } from "../../workers/sync/relay";
import { as, call, signup } from "../support/api";
import { openOwnerDb } from "../support/db";

// The first request loads the Worker's whole module graph (the AI SDK and the MCP SDK included),
// which on a busy 2-core machine can take longer than one test's timeout.
beforeAll(() => call("GET", "/api/health"), 120_000);

const handle = openOwnerDb();
afterAll(() => handle.close());

/** A plain write scope, as a job would build it: this test's database and user, relaying to the real DO. */
const scopeFor = (userId: string): Scope =>
  scopeFrom({ db: handle.db, userId, relay: (user, message) => void relayChanges(env, user, message) });

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};
const text = (t: string) => ({
  content: [{ type: "text" as const, text: t }],
  finishReason: { unified: "stop" as const, raw: undefined },
  usage,
  warnings: [],
});
const toolCall = (toolName: string, input: unknown) => ({
  content: [
    { type: "tool-call" as const, toolCallId: `c-${crypto.randomUUID()}`, toolName, input: JSON.stringify(input) },
  ],
  finishReason: { unified: "tool-calls" as const, raw: undefined },
  usage,
  warnings: [],
});

async function setup() {
  const u = await signup();
  const id = (await as(u).post("/api/assistant/conversations", {})).body.id as string;
  return { u, id, scope: scopeFor(u.id) };
}

async function sendWith(scope: Scope, id: string, content: string, model: MockLanguageModelV4) {
  const runId = crypto.randomUUID();
  await claimForSend(scope, id, content, runId, 60);
  await run(scope, id, runId, { model, mode: "send", deadline: Date.now() + 30_000 });
  return (await readConversation(handle.db, scope.userId, id)).row;
}

describe("state machine with a mock model", () => {
  test("plain text → idle with the reply stored", async () => {
    const { id, scope } = await setup();
    const model = new MockLanguageModelV4({ doGenerate: text("Hello!") });
    const conv = await sendWith(scope, id, "hi", model);
    expect(conv.status).toBe("idle");
    const history = await readHistory(handle.db, scope.userId, id);
    expect(history.map((h) => [h.message.role, h.message.content])).toEqual([
      ["user", "hi"],
      ["assistant", "Hello!"],
    ]);
    // The model saw the stored history, the system prompt and every tool.
    const theCall = model.doGenerateCalls[0]!;
    expect(theCall.prompt[0]).toMatchObject({ role: "system" });
    expect(theCall.prompt.at(-1)).toMatchObject({ role: "user", content: [{ type: "text", text: "hi" }] });
    expect(theCall.tools?.map((t) => t.name).sort()).toEqual([
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
    ]);
  });

  test("a reading tool call runs at once and the model continues; a data-changing one waits", async () => {
    const { u, id, scope } = await setup();
    await as(u).post("/api/todos", { title: "existing" });
    const model = new MockLanguageModelV4({
      doGenerate: [toolCall("list_todos", {}), toolCall("create_todo", { title: "from mock" })],
    });
    const conv = await sendWith(scope, id, "do things", model);
    expect(conv.status).toBe("awaiting_approval");
    const calls = (await readHistory(handle.db, scope.userId, id)).flatMap((h) => (h.call ? [h.call] : []));
    expect(calls.map((c) => [c.name, c.status])).toEqual([
      ["list_todos", "executed"],
      ["create_todo", "pending_approval"],
    ]);
    expect(calls[0]!.result).toMatchObject({ items: [{ title: "existing" }] });
    // The second step was told the first call's result.
    const second = model.doGenerateCalls[1]!.prompt;
    expect(second.at(-1)).toMatchObject({ role: "tool", content: [{ type: "tool-result", toolName: "list_todos" }] });
  });

  test("an invalid tool input is recorded as failed and fed back, not executed", async () => {
    const { id, scope } = await setup();
    const model = new MockLanguageModelV4({ doGenerate: [toolCall("create_todo", { title: "" }), text("Sorry.")] });
    const conv = await sendWith(scope, id, "add nothing", model);
    expect(conv.status).toBe("idle");
    const theCall = (await readHistory(handle.db, scope.userId, id)).find((h) => h.call)!.call!;
    expect(theCall.status).toBe("failed");
    expect(theCall.result).toMatchObject({ error: { code: "invalid_tool_call" } });
  });

  test("a model error → error with a readable reason; the next send recovers", async () => {
    const { id, scope } = await setup();
    const failing = new MockLanguageModelV4({
      doGenerate: async () => {
        throw new Error("upstream exploded at https://secret.example/v1?key=abc");
      },
    });
    const conv = await sendWith(scope, id, "hi", failing);
    expect(conv.status).toBe("error");
    expect(conv.lastError).toMatch(/retry/);
    expect(conv.lastError).not.toContain("secret");
    expect(conv.runId).toBeNull();
    // The user's message is kept; nothing half-done from the failed run is.
    expect((await readHistory(handle.db, scope.userId, id)).map((h) => h.message.role)).toEqual(["user"]);

    const recovered = await sendWith(scope, id, "hi again", new MockLanguageModelV4({ doGenerate: text("Back.") }));
    expect(recovered.status).toBe("idle");
    expect((await readHistory(handle.db, scope.userId, id)).map((h) => h.message.content)).toEqual([
      "hi",
      "hi again",
      "Back.",
    ]);
  });

  test("a run that lost its lease commits nothing", async () => {
    const { id, scope } = await setup();
    const model = new MockLanguageModelV4({
      doGenerate: async () => {
        // Meanwhile the lease ran out and another request moved the conversation on.
        await handle.db.execute(
          `update conversations set status = 'error', run_id = null, lease_until = null, last_error = 'expired' where id = '${id}'`,
        );
        return text("too late");
      },
    });
    const runId = crypto.randomUUID();
    await claimForSend(scope, id, "slow", runId, 60);
    await expect(run(scope, id, runId, { model, mode: "send", deadline: Date.now() + 30_000 })).rejects.toMatchObject({
      code: "lease_expired",
    });
    expect((await readHistory(handle.db, scope.userId, id)).map((h) => h.message.content)).toEqual(["slow"]);
    expect((await readConversation(handle.db, scope.userId, id)).row.status).toBe("error");
  });

  test("the model is never called past the run's deadline", async () => {
    const { id, scope } = await setup();
    const model = new MockLanguageModelV4({ doGenerate: text("never") });
    const runId = crypto.randomUUID();
    await claimForSend(scope, id, "hi", runId, 60);
    await run(scope, id, runId, { model, mode: "send", deadline: Date.now() - 1 });
    expect(model.doGenerateCalls).toHaveLength(0);
    const conv = (await readConversation(handle.db, scope.userId, id)).row;
    expect(conv.status).toBe("error");
    expect(conv.lastError).toMatch(/too long/);
  });
});

describe("model providers as configuration", () => {
  test("rules by default; Workers AI when the AI binding exists; OpenAI-compatible by URL and key", () => {
    expect(modelFromEnv({})).toMatchObject({ provider: "continuum", modelId: "rules" });
    const ai = { run: async () => ({}) } as unknown as Ai;
    expect(modelFromEnv({ AI: ai })).toMatchObject({ modelId: "@cf/meta/llama-3.3-70b-instruct-fp8-fast" });
    expect(modelFromEnv({ AI: ai, ASSISTANT_PROVIDER: "rules" })).toMatchObject({ modelId: "rules" });
    const compatible = modelFromEnv({
      ASSISTANT_PROVIDER: "openai-compatible",
      ASSISTANT_BASE_URL: "https://llm.example.test/v1",
      ASSISTANT_MODEL: "some-model",
      ASSISTANT_API_KEY: "k",
    });
    expect(compatible).toMatchObject({ modelId: "some-model" });
  });

  test("a misconfigured provider is a 503 before anything is claimed", () => {
    for (const config of [
      { ASSISTANT_PROVIDER: "workers-ai" },
      { ASSISTANT_PROVIDER: "openai-compatible", ASSISTANT_MODEL: "m" },
      { ASSISTANT_PROVIDER: "carrier-pigeon" },
    ])
      expect(() => modelFromEnv(config)).toThrow(
        expect.objectContaining({ status: 503, code: "assistant_unavailable" }),
      );
  });

  test("a call to a tool that does not exist is recorded as failed, not run", async () => {
    const { id, scope } = await setup();
    const model = new MockLanguageModelV4({ doGenerate: [toolCall("drop_database", {}), text("Oops.")] });
    const conv = await sendWith(scope, id, "do something odd", model);
    expect(conv.status).toBe("idle");
    const theCall = (await readHistory(handle.db, scope.userId, id)).find((h) => h.call)!.call!;
    expect(theCall).toMatchObject({ name: "drop_database", status: "failed" });
  });
});
