/**
 * SPEC §5 Assistant: conversations and the action API. Handlers stay thin:
 * the state machine is in workers/assistant/ (conversations.ts for the
 * transitions, run.ts for a run). Every request reads what it needs from
 * Postgres; nothing is remembered between requests.
 */
import type { Context } from "hono";
import {
  claimForApproval,
  claimForSend,
  createConversation,
  DEFAULT_LEASE_SECONDS,
  deleteConversation,
  expireLease,
  listConversations,
  conversationQuery,
  historyQuery,
  readConversation,
  type ClaimedState,
  type ConversationRow,
  type DecidedCall,
  type HistoryRow,
} from "../assistant/conversations";
import { modelFromEnv } from "../assistant/model";
import { latestOf, pendingTodosQuery, pendingUndoQuery, previewsFrom } from "../assistant/preview";
import { recentChanges, type RecentChange } from "../data/undo";
import { batch, type Db } from "../../db/client";
import { notFound } from "../errors";
import { prefetchFirstRead, run } from "../assistant/run";
import { claimWithApprovedCall } from "../assistant/approve-with-claim";
import { undoToolCall } from "../assistant/undo-call";
import type { AppEnv, IdempotencyOutcome, PipelinedEnv } from "../env";
import { type Scope } from "../sync/scope";
import { listRoute } from "../http/crud";
import { confirmed, createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import {
  approveToolsSchema,
  conversationRecord,
  conversationSchema,
  conversationStateSchema,
  conversationToWire,
  listConversationsQuery,
  messageToWire,
  sendMessageSchema,
  toolCallSchema,
  toolCallToWire,
  type ConversationState,
} from "../protocol/assistant";
import { assertId } from "../sync/write";
import { expectedVersion, scopeOf, sendRecord } from "../http/record";
import { rowFromRaw } from "../protocol/registry";
import { z } from "zod";

/** `"<conversation version>"`: every change to its messages or calls bumps it. */
const etagOf = (row: ConversationRow) => `"${row.version}"`;

type NamedTodo = { id: string; title: string; done: boolean };

/** The state from what was read: the history (oldest first) and the todos its pending calls name. */
function stateOf(
  conv: ConversationRow,
  rows: HistoryRow[],
  named: NamedTodo[],
  latest: RecentChange | undefined,
): ConversationState {
  const pending = rows.flatMap(({ call }) => (call?.status === "pending_approval" ? [call] : []));
  const previews = new Map(previewsFrom(pending, named, latest).map((p, i) => [pending[i]!.id, p] as const));
  return {
    conversation: conversationToWire(conv),
    messages: rows.map(({ message, call }) =>
      call
        ? {
            ...messageToWire(message),
            name: call.name,
            input: call.input,
            status: call.status,
            result: call.result ?? null,
            undone_at: call.undoneAt?.toISOString() ?? null,
            ...(previews.has(call.id) ? { preview: previews.get(call.id)! } : {}),
          }
        : messageToWire(message),
    ),
    pending_tool_calls: pending.map((call) => ({ ...toolCallToWire(call), preview: previews.get(call.id)! })),
    status: conv.status,
  };
}

/** The conversation, its history and what its pending calls name: one round trip. */
async function readState(db: Db, userId: string, id: string) {
  const [found, history, named, undo] = await batch(db, [
    conversationQuery(db, userId, id),
    historyQuery(db, userId, id),
    pendingTodosQuery(db, userId, id),
    pendingUndoQuery(db, userId, id),
  ]);
  if (!found[0]) throw notFound("Conversation");
  return { ...found[0], rows: history.reverse(), named, latest: latestOf(undo) };
}

/**
 * send_message / approve_tools answered again from the committed outcome: the
 * conversation as the run left it, with its history. Every change to a
 * conversation's messages or calls bumps its version, so while the version is
 * still the outcome's this is exactly the first answer; after later changes it
 * is the state now (the conversation has moved on).
 */
async function rebuildState(c: Context<AppEnv>, outcome: IdempotencyOutcome): Promise<Response> {
  const raw = outcome.rows?.conversation;
  if (!raw) throw new Error("run outcome without its conversation");
  const written = rowFromRaw("conversation", raw);
  const now = await readState(c.var.db, c.var.user.id, written.id);
  const row = now.row.version === written.version ? written : now.row;
  c.header("ETag", etagOf(row));
  return c.json(stateOf(row, now.rows, now.named, now.latest));
}

function startRun(c: Context<PipelinedEnv>) {
  // Resolve the model before claiming: a misconfigured provider is a 503 that changes nothing. This
  // reads configuration only (no I/O) before the session is confirmed; the model is first called after
  // the claim, whose batch carried the session check.
  const config = (c as unknown as Context<AppEnv>).env;
  const model = modelFromEnv(config);
  const seconds = Number(config.ASSISTANT_LEASE_SECONDS) || DEFAULT_LEASE_SECONDS;
  // The run stops a few seconds before its lease does, so it never commits after losing it.
  return { model, seconds, runId: crypto.randomUUID(), deadline: Date.now() + Math.max(1, seconds - 5) * 1000 };
}

/**
 * The two actions that start a run (send_message, approve_tools) differ only in
 * how they claim the conversation: resolve the model, claim, run until the
 * model idles or waits for approval, answer with the state read back.
 * Pipelined: the session check leads the claim (which also counts the run
 * rate and returns the history), so a message costs the claim, the model, and
 * the end of the run — plus one read per reading tool the model asks for (none for the first one
 * when the model can name it from the message alone: it is fetched with the claim).
 */
async function claimAndRun(
  pc: Context<PipelinedEnv>,
  mode: "send" | "approve",
  claim: (
    scope: Scope,
    id: string,
    runId: string,
    leaseSeconds: number,
  ) => Promise<ClaimedState | { claimed: ClaimedState; decided: DecidedCall }>,
  /** A send's message: a reading tool the model will ask for first is fetched with the claim. */
  message?: string,
) {
  const id = pc.req.param("id")!;
  assertId("conversation", id);
  const r = startRun(pc);
  const scope = scopeOf(pc);
  const handle = (pc as unknown as Context<AppEnv>).var.dbHandle;
  const prefetched =
    message === undefined ? undefined : await prefetchFirstRead(handle.prefetch, scope, r.model, message);
  // The claim returns the history the run reads; the run's end returns the state to answer with.
  const got = await claim(scope, id, r.runId, r.seconds);
  const { claimed, decided } = "claimed" in got ? got : { claimed: got, decided: undefined };
  const c = await confirmed(pc); // free: the claim's batch carried the check
  const ride = c.var.dbHandle.ride;
  const done = await run(scope, id, r.runId, {
    ...r,
    mode,
    history: claimed.history,
    ride,
    prefetched,
    decided: decided && [decided],
  });
  // A pending undo_last_action's card names the change it would undo: read only then (one query more).
  const undoWaits = done.history.some(
    (h) => h.call?.status === "pending_approval" && h.call.name === "undo_last_action",
  );
  const [latest] = undoWaits ? await recentChanges(c.var.db, scope.userId, 1) : [];
  c.header("ETag", etagOf(done.conversation));
  return c.json(stateOf(done.conversation, done.history, done.named, latest));
}

export const assistant = createApi();
const tags = ["Assistant"];
const byId = { params: idParam("id") };
const state = jsonContent(
  conversationStateSchema,
  "The conversation's state: messages in order, pending tool calls, status",
);
const conversation = jsonContent(conversationSchema, "The conversation");

register(
  assistant,
  route({
    method: "post",
    path: "/conversations",
    pipelined: true,
    tags,
    operationId: "createConversation",
    request: jsonRequest(conversationRecord.create),
    responses: { 201: conversation, 200: jsonContent(conversationSchema, "The same create again: the existing one") },
    errors: [400, 413, 415],
  }),
  async (c) => {
    const { row, created } = await createConversation(scopeOf(c), c.req.valid("json"));
    return sendRecord(c, "conversation", row, created ? 201 : 200);
  },
);

listRoute(assistant, {
  pipelined: true,
  path: "/conversations",
  tag: "Assistant",
  operationId: "listConversations",
  description: "Most recently active first.",
  record: conversationSchema,
  query: listConversationsQuery,
  list: listConversations,
  toWire: conversationToWire,
});

register(
  assistant,
  route({
    method: "get",
    path: "/conversations/{id}",
    pipelined: true,
    tags,
    operationId: "getConversation",
    request: byId,
    responses: { 200: conversation },
    errors: [404],
  }),
  async (c) => {
    const id = c.req.param("id")!;
    assertId("conversation", id);
    const { row, expired } = await readConversation(c.var.db, c.var.user.id, id);
    return sendRecord(c, "conversation", expired ? await expireLease(scopeOf(c), id) : row);
  },
);

register(
  assistant,
  route({
    method: "delete",
    path: "/conversations/{id}",
    pipelined: true,
    tags,
    operationId: "deleteConversation",
    description: "Deletes the conversation with its messages and tool calls (If-Match optional).",
    request: byId,
    responses: { 204: { description: "Deleted" } },
    errors: [400, 404],
  }),
  async (c) => {
    const id = c.req.param("id")!;
    assertId("conversation", id);
    await deleteConversation(scopeOf(c), id, expectedVersion(c));
    return c.body(null, 204);
  },
);

register(
  assistant,
  route({
    method: "get",
    path: "/conversations/{id}/state",
    pipelined: true,
    tags,
    operationId: "getConversationState",
    description:
      "The whole state, read from Postgres. `ETag` is the conversation's version; `If-None-Match` with it → 304. A run whose lease expired shows as `error`.",
    request: { ...byId, headers: z.object({ "if-none-match": z.string().optional() }) },
    responses: { 200: state, 304: { description: "Unchanged since the ETag sent" } },
    errors: [404],
  }),
  async (c) => {
    const id = c.req.param("id")!;
    assertId("conversation", id);
    const found = await readState(c.var.db, c.var.user.id, id);
    // A dead run's lease is noticed here too, so every device sees `error` rather than a stuck `running`.
    const row = found.expired ? await expireLease(scopeOf(c), id) : found.row;
    const etag = etagOf(row);
    c.header("ETag", etag);
    c.header("Cache-Control", "no-cache");
    const inm = c.req.header("if-none-match");
    if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) return c.body(null, 304);
    return c.json(stateOf(row, found.rows, found.named, found.latest));
  },
);

register(
  assistant,
  route({
    method: "post",
    path: "/conversations/{id}/actions/send_message",
    pipelined: true,
    rebuild: rebuildState,
    tags,
    operationId: "sendMessage",
    description:
      "Claims the conversation (idle or error → running), stores the message, runs the model (reading tools at once) and answers with the new state: idle, awaiting_approval (a data-changing tool call waits) or error. 409 `conversation_busy` while running or awaiting approval.",
    request: { ...byId, ...jsonRequest(sendMessageSchema) },
    responses: { 200: state },
    errors: [400, 404, 413, 415, 429],
  }),
  (c) =>
    claimAndRun(
      c,
      "send",
      (scope, id, runId, seconds) => claimForSend(scope, id, c.req.valid("json").content, runId, seconds),
      c.req.valid("json").content,
    ),
);

register(
  assistant,
  route({
    method: "post",
    path: "/conversations/{id}/actions/approve_tools",
    pipelined: true,
    rebuild: rebuildState,
    tags,
    operationId: "approveTools",
    description:
      "Approves or denies pending tool calls; approved ones run through the same code as the REST routes, the model is told every outcome and the run resumes. 409 `tool_call_not_pending` for a call already decided.",
    request: { ...byId, ...jsonRequest(approveToolsSchema) },
    responses: { 200: state },
    errors: [400, 404, 413, 415, 429],
  }),
  (c) =>
    claimAndRun(c, "approve", async (scope, id, runId, seconds) => {
      const { approvals } = c.req.valid("json");
      const ride = (c as unknown as Context<AppEnv>).var.dbHandle.ride;
      return (
        (await claimWithApprovedCall(scope, ride, id, approvals, runId, seconds)) ??
        claimForApproval(scope, id, approvals, runId, seconds)
      );
    }),
);

register(
  assistant,
  route({
    pipelined: true,
    method: "post",
    path: "/tool-calls/{id}/undo",
    tags,
    operationId: "undoToolCall",
    description:
      "Undoes what an executed tool call changed: a created todo or captured note is deleted, a completed or " +
      "deleted todo comes back as it was, a started focus session is abandoned, an undo_last_action is undone. " +
      "Version-checked (409 `version_conflict` with both versions when the record changed since) and idempotent " +
      "(an undone call is returned as it is). 409 `not_undoable` for a call that changed nothing undoable. " +
      "Answers with the tool call, `undone_at` set.",
    request: byId,
    responses: { 200: jsonContent(toolCallSchema, "The tool call, undone") },
    errors: [400, 404, 409],
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    assertId("tool_call", id);
    return sendRecord(c, "tool_call", await undoToolCall(scopeOf(c), id));
  },
);
