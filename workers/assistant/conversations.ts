/**
 * The assistant's state in Postgres, and every transition of it. Each
 * function here is one short write (or read); none is held open across a
 * model call (the run in ./run.ts calls the model between them).
 *
 *   idle | error ──send (claim)──▶ running ──finish──▶ idle | awaiting_approval | error
 *   awaiting_approval ──approve (claim)──▶ running
 *   running, lease expired ──▶ error  (a run whose isolate died)
 *
 * A claim is `run_id` + `lease_until`; every later write of the run is
 * guarded by `run_id`, so a run that lost its claim commits nothing.
 * Every write that touches a conversation's messages or tool calls also
 * bumps the conversation's version, which is therefore the state's ETag.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { conversations, messages, toolCalls } from "../../db/schema";
import { paginateOwnNewest, type PageQuery } from "../data/paginate";
import { AppError, notFound } from "../errors";
import type { Scope } from "../sync/scope";
import type { ApproveTools } from "../protocol/assistant";
import { findOwned, versionConflict } from "../sync/write";
import { refusal } from "../sync/call";
import { rowFromRaw, type RowOf } from "../protocol/registry";
import { ErrorCode } from "../protocol/rules";

export type ConversationRow = RowOf<"conversation">;
export type MessageRow = RowOf<"message">;
export type ToolCallRow = RowOf<"tool_call">;
export interface HistoryRow {
  message: MessageRow;
  call: ToolCallRow | null;
}

/** How long a run may hold a conversation before it counts as dead. */
export const DEFAULT_LEASE_SECONDS = 90;
/** How many of the latest messages the state shows. */
const STATE_MESSAGES = 200;

export const busy = () =>
  new AppError(
    409,
    ErrorCode.conversation_busy,
    "The assistant is still working on this conversation or waiting for your approval.",
  );
export const notPending = () =>
  new AppError(
    409,
    ErrorCode.tool_call_not_pending,
    "That tool call is not waiting for approval (it was already decided).",
  );
export const leaseLost = () =>
  new AppError(
    409,
    ErrorCode.lease_expired,
    "This run took longer than its lease and was stopped; nothing of it was saved. Send again to retry.",
  );

export const LEASE_EXPIRED_MESSAGE =
  "The assistant stopped before finishing (its run was interrupted). Send a message to retry.";

/** A conversation's calls. Ids are per user, so a child is always found by (user, parent id), never the id alone. */
const messagesOf = (userId: string, id: string) => and(eq(messages.userId, userId), eq(messages.conversationId, id));

/** A conversation created without a title is named after its first message. */
export const DEFAULT_TITLE = "New conversation";
const TITLE_FROM_MESSAGE = 80;

export const createConversation = (scope: Scope, body: { id?: string | undefined; title?: string | undefined }) =>
  scope.write((w) =>
    w.insert("conversation", { ...(body.id ? { id: body.id } : {}), title: body.title ?? DEFAULT_TITLE }),
  );

export const listConversations = (db: Db, userId: string, q: PageQuery) =>
  paginateOwnNewest(db, conversations, conversations.updatedAt, userId, q);

/**
 * Messages and calls are removed with the conversation, each with its change-log
 * tombstone so every device drops them: one call (continuum_delete_conversation,
 * db/migrations/0022), one round trip.
 */
export async function deleteConversation(scope: Scope, id: string, expected: number | undefined) {
  await scope
    .call(
      sql`select continuum_delete_conversation(${scope.userId}, ${id}, ${expected ?? null},
      ${scope.idempotencyKey}) as r`,
    )
    .catch(async (err: unknown) => {
      const code = refusal(err)?.code;
      if (code === "conversation_not_found") throw notFound("Conversation");
      if (code === "version_conflict")
        throw versionConflict("conversation", await findOwned(scope.db, "conversation", scope.userId, id));
      throw err;
    });
}

/** The conversation, and whether its run's lease ran out (by the database clock): the query, unsent. */
export const conversationQuery = (db: Db | Tx, userId: string, id: string) =>
  db
    .select({
      row: conversations,
      expired: sql<boolean>`${conversations.status} = 'running' and ${conversations.leaseUntil} < now()`,
    })
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.userId, userId)))
    .limit(1);

/** The conversation (404 if not the user's), and whether its run's lease ran out. */
export async function readConversation(db: Db | Tx, userId: string, id: string) {
  const [found] = await conversationQuery(db, userId, id);
  if (!found) throw notFound("Conversation");
  return found;
}

/** A run that died (its lease ran out) leaves `running` for `error`, from which a send retries. */
export async function expireLease(scope: Scope, id: string): Promise<ConversationRow> {
  const [row] = await scope.write((w) =>
    w.updateWhere(
      "conversation",
      and(eq(conversations.id, id), eq(conversations.status, "running"), lt(conversations.leaseUntil, sql`now()`)),
      { status: "error", runId: null, leaseUntil: null, lastError: LEASE_EXPIRED_MESSAGE },
    ),
  );
  return row ?? (await findOwned(scope.db, "conversation", scope.userId, id));
}

/** The latest `limit` messages, newest first, each tool message with its call: the query, unsent. */
export const historyQuery = (db: Db | Tx, userId: string, conversationId: string, limit = STATE_MESSAGES) =>
  db
    .select({ message: messages, call: toolCalls })
    .from(messages)
    .leftJoin(toolCalls, and(eq(toolCalls.userId, messages.userId), eq(toolCalls.id, messages.toolCallId)))
    .where(messagesOf(userId, conversationId))
    .orderBy(desc(messages.seq))
    .limit(limit);

/** Messages in order, each tool message with its call (the latest `limit`). */
export async function readHistory(
  db: Db | Tx,
  userId: string,
  conversationId: string,
  limit = STATE_MESSAGES,
): Promise<HistoryRow[]> {
  return (await historyQuery(db, userId, conversationId, limit)).reverse();
}

/** Assistant runs one user may have going at once (README "Limits"). */
export const MAX_CONCURRENT_RUNS = 3;
/**
 * Runs (claims) per user in a wall-clock minute, counted by the claim itself (continuum_run_slot,
 * db/migrations/0037, on the rate_windows row the studio's rates use; the number is written there).
 */
export const RUNS_PER_MINUTE = 20;
/** How many of the latest messages a claim returns for the run (run.ts HISTORY_MESSAGES). */
export const CLAIM_HISTORY = 60;

const runRate = () => {
  const seconds = String(60 - new Date().getUTCSeconds()); // the window is the wall-clock minute
  return new AppError(
    429,
    ErrorCode.rate_limited,
    `${RUNS_PER_MINUTE} assistant runs a minute at most; send again in ${seconds} s.`,
    { headers: { "Retry-After": seconds }, details: { limit: RUNS_PER_MINUTE } },
  );
};

const tooManyRuns = () =>
  new AppError(
    429,
    ErrorCode.rate_limited,
    `${MAX_CONCURRENT_RUNS} assistant runs are already going; send again when one has finished.`,
    { headers: { "Retry-After": "5" }, details: { limit: MAX_CONCURRENT_RUNS } },
  );

/** A claim's or a finish's refusal (db/migrations/0025) as the API error. */
export function claimRefused(err: unknown): never {
  switch (refusal(err)?.code) {
    case "rate_limited":
      throw runRate();
    case "conversation_not_found":
      throw notFound("Conversation");
    case "conversation_busy":
      throw busy();
    case "too_many_runs":
      throw tooManyRuns();
    case "tool_call_not_found":
      throw notFound("Tool call");
    case "tool_call_not_pending":
      throw notPending();
    case "lease_expired":
      throw leaseLost();
  }
  throw err;
}

/** What a claim or a finish returns: the conversation and its latest history (oldest first). */
export interface RawState {
  conversation: Record<string, unknown>;
  history: { message: Record<string, unknown>; call: Record<string, unknown> | null }[];
  named?: { id: string; title: string; done: boolean }[];
}
export interface ClaimedState {
  conversation: ConversationRow;
  history: HistoryRow[];
  /** The todos the pending calls name (a finish only). */
  named: { id: string; title: string; done: boolean }[];
}
export const claimed = (r: RawState): ClaimedState => ({
  conversation: rowFromRaw("conversation", r.conversation),
  history: r.history.map((h) => ({
    message: rowFromRaw("message", h.message),
    call: h.call ? rowFromRaw("tool_call", h.call) : null,
  })),
  named: r.named ?? [],
});

/**
 * send_message's claim: idle or error (or running with an expired lease) →
 * running, and the user's message — at most MAX_CONCURRENT_RUNS live runs per
 * user (429), counted under the user-row lock. One call
 * (continuum_claim_send), which also returns the history the run reads next.
 */
export function claimForSend(scope: Scope, id: string, content: string, runId: string, leaseSeconds: number) {
  return scope
    .write((w) =>
      w.call<RawState>(
        sql`select continuum_claim_send(${scope.userId}, ${id}, ${content}, ${runId}, ${leaseSeconds},
          ${MAX_CONCURRENT_RUNS}, ${DEFAULT_TITLE}, ${content.slice(0, TITLE_FROM_MESSAGE)}, ${CLAIM_HISTORY},
          ${w.idempotencyKey}) as r`,
      ),
    )
    .then(claimed, claimRefused);
}

/**
 * approve_tools' claim: awaiting_approval → running; each named call
 * pending_approval → approved | denied, all or nothing. A call that is not
 * pending (decided already, or by a parallel request) → 409. One call
 * (continuum_claim_approve), returning the history.
 */
export function claimForApproval(
  scope: Scope,
  id: string,
  approvals: ApproveTools["approvals"],
  runId: string,
  leaseSeconds: number,
) {
  return scope
    .write((w) => w.call<RawState>(sql`select ${claimApproveCall(scope, id, approvals, runId, leaseSeconds)} as r`))
    .then(claimed, claimRefused);
}

function claimApproveCall(
  scope: Scope,
  id: string,
  approvals: ApproveTools["approvals"],
  runId: string,
  leaseSeconds: number,
) {
  const ids = (approved: boolean) =>
    `{${approvals
      .filter((a) => a.approved === approved)
      .map((a) => a.tool_call_id)
      .join(",")}}`;
  return sql`continuum_claim_approve(${scope.userId}, ${id}, ${ids(true)}::uuid[], ${ids(false)}::uuid[],
    ${runId}, ${leaseSeconds}, ${MAX_CONCURRENT_RUNS}, ${CLAIM_HISTORY}, ${scope.idempotencyKey})`;
}

/**
 * approve_tools' claim and the guard of one approved call (continuum_hold_call) as ONE statement, for
 * the call's first write to carry (db/client.ts `ride`) when the request named the call as the state
 * showed it: the claim runs first (the CTE the guard's row comes from), then the guard — only if the
 * stored call still has that name and input (else CNAPP `call_changed`: nothing commits, and the
 * request takes the usual way). Its row: `r` the claim's state, `h` the guard's changes.
 */
export function claimAndHold(
  scope: Scope,
  id: string,
  approvals: ApproveTools["approvals"],
  runId: string,
  leaseSeconds: number,
  call: { id: string; name: string; input: unknown },
) {
  return sql`with claim as (select ${claimApproveCall(scope, id, approvals, runId, leaseSeconds)} as r)
    select claim.r, ${holdCallOf(scope, id, runId, call.id)} as h from claim
    where case when exists (select 1 from ${toolCalls} t where t.user_id = ${scope.userId} and t.id = ${call.id}
      and t.conversation_id = ${id} and t.name = ${call.name} and t.input = ${JSON.stringify(call.input)}::jsonb)
      then true else continuum_refuse('CNAPP', 'call_changed') end`;
}

/**
 * The guard of one approved call's execution (continuum_hold_call, db/migrations/0037): it rides with
 * the tool's first statement (db/client.ts `ride`), so that write commits only while the claim is this
 * run's, and the call becomes `executed` in the same transaction. Returns the changes it logged.
 */
export const holdCall = (scope: Scope, id: string, runId: string, callId: string) =>
  sql`select ${holdCallOf(scope, id, runId, callId)} as r`;
const holdCallOf = (scope: Scope, id: string, runId: string, callId: string) =>
  sql`continuum_hold_call(${scope.userId}, ${id}, ${runId}, ${callId}, ${scope.idempotencyKey})`;

/** What a run decided about a call that already existed (approved → executed | failed, pending → denied). */
export interface DecidedCall {
  id: string;
  status: ToolCallRow["status"];
  result: unknown;
}

export interface NewToolCall {
  id: string;
  callId: string;
  name: string;
  input: Record<string, unknown>;
  status: ToolCallRow["status"];
  result: unknown;
}
export interface NewMessage {
  role: "assistant" | "tool";
  content: string;
  toolCallId?: string;
}

/** How many of the latest messages the state after a run shows (as GET …/state). */
export const FINISH_STATE_MESSAGES = STATE_MESSAGES;

/**
 * The end of a run: its messages, tool calls and the next status in one call
 * (continuum_finish_run), guarded by the claim (a run that lost it commits
 * nothing: 409 lease_expired). Returns the state the response shows.
 */
export function finishRun(
  scope: Scope,
  id: string,
  runId: string,
  outcome: {
    status: "idle" | "awaiting_approval" | "error";
    error?: string;
    calls: NewToolCall[];
    messages: NewMessage[];
    /** The first new message's position: the run knows it from the history it read under the claim. */
    seq?: number;
    /** Existing calls this run decided (recorded whatever the run's end: their effects are committed). */
    decided: DecidedCall[];
  },
): Promise<ClaimedState> {
  return scope
    .write((w) =>
      w.call<RawState>(
        sql`select continuum_finish_run(${scope.userId}, ${id}, ${runId}, ${outcome.status}, ${outcome.error ?? null},
          ${JSON.stringify(outcome.calls)}::jsonb, ${JSON.stringify(outcome.messages)}::jsonb, ${outcome.seq ?? null},
          ${FINISH_STATE_MESSAGES}, ${w.idempotencyKey}, ${JSON.stringify(outcome.decided)}::jsonb) as r`,
      ),
    )
    .then(claimed, claimRefused);
}
