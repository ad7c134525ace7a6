/**
 * One run of the state machine, after a claim (./conversations.ts): execute
 * the calls the user approved, then — unless some still wait for approval —
 * let the model take steps. Reading tools run at once and the model goes on;
 * the first data-changing call stops the run at `awaiting_approval`. The
 * run's messages, calls and next status are committed together at the end.
 * The history comes from Postgres every time; nothing is kept in memory.
 */
import { generateText, type LanguageModel, type ModelMessage } from "ai";
import { AppError, asAppError, quotaExceeded } from "../errors";
import type { DbHandle, QueryResult } from "../../db/client";
import type { SQL } from "drizzle-orm";
import { joinedWrite, type Scope } from "../sync/scope";
import { refusal, type LoggedChange } from "../sync/call";
import { findUnstorable } from "../protocol/common";
import {
  finishRun,
  holdCall,
  leaseLost,
  notPending,
  readHistory,
  type ClaimedState,
  type DecidedCall,
  type HistoryRow,
  type NewMessage,
  type NewToolCall,
} from "./conversations";
import { modelTools, SYSTEM_PROMPT } from "./model";
import { RulesModel } from "./rules-model";
import { toolByName, type ToolDef } from "./tools";
import { ErrorCode } from "../protocol/rules";

/** Model steps per run (reading tools in between); a runaway model stops here. */
const MAX_STEPS = 6;
/** The history sent to the model: at most this many messages and characters, cut at a user message. */
export const HISTORY_MESSAGES = 60;
export const HISTORY_CHARS = 24_000;

export interface RunOptions {
  model: LanguageModel;
  /** A send voids calls an interrupted approval left undecided; an approval waits for them. */
  mode: "send" | "approve";
  /** When the claim's lease runs out (ms since epoch); model calls are aborted before it. */
  deadline: number;
  /** The history the claim returned (read again when not given). */
  history?: HistoryRow[];
  /**
   * The request's `ride` (db/client.ts): an approved call's guard travels with the call's first
   * statement. Needed only when the history holds approved calls.
   */
  ride?: (statement: SQL, onOk: (result: QueryResult) => void) => () => void;
  /** A reading tool's answer fetched with the claim (`prefetchFirstRead`); used if the model asks exactly that. */
  prefetched?: Prefetched | undefined;
  /** Calls decided before the run (an approved call that ran with the claim: ./approve-with-claim.ts). */
  decided?: DecidedCall[] | undefined;
}

/** A reading tool's call fetched before the model asked for it. */
export interface Prefetched {
  name: string;
  input: string;
  result: Promise<unknown>;
}

/**
 * The first reading tool a model will call on a new message, when the model can tell from the
 * message alone (the `rules` model: `RulesModel.firstCall`): its read is queued to travel with the
 * claim, in the claim's transaction (db/client.ts `prefetch`), so the message costs the claim and
 * the run's end — not a third round trip between two model steps. A remote model decides from the
 * whole history, so its reads follow its steps.
 */
export async function prefetchFirstRead(
  prefetch: DbHandle["prefetch"],
  scope: Scope,
  model: LanguageModel,
  message: string,
): Promise<Prefetched | undefined> {
  const guess = model instanceof RulesModel ? model.firstCall(message) : undefined;
  const def = guess && toolByName(guess.toolName);
  if (!guess || !def || def.changesData) return undefined;
  const input = def.input.safeParse(guess.input);
  if (!input.success) return undefined;
  const { result } = await prefetch((db) => def.run({ ...scope, db }, input.data, {}));
  result.catch(() => {}); // dropped with a failed claim, or unused: the run reads again if need be
  return { name: def.name, input: JSON.stringify(guess.input), result };
}

/** The prefetched answer when the model asked for exactly that call (once), else a fresh run of the tool. */
async function runReadingTool(scope: Scope, def: ToolDef, call: NewToolCall, opts: RunOptions) {
  const pre = opts.prefetched;
  if (pre && pre.name === call.name && pre.input === JSON.stringify(call.input)) {
    opts.prefetched = undefined;
    try {
      return await pre.result;
    } catch {
      // Dropped (its batch failed): read now.
    }
  }
  return def.run(scope, call.input, {});
}

const errorResult = (err: AppError) => ({ error: { code: err.code, message: err.message } });

/**
 * Runs each approved call through its tool (the REST routes' domain code, the
 * same Writer) with no round trip of its own: the call's guard (the claim is
 * still this run's; the call becomes `executed`) rides in one transaction with
 * the tool's first statement. The outcome is recorded by the run's end; the
 * rows are updated in place, so the model is told it without a second read.
 */
async function executeApproved(scope: Scope, id: string, runId: string, rows: HistoryRow[], ride: RunOptions["ride"]) {
  const decided: DecidedCall[] = [];
  for (const row of rows) {
    const call = row.call;
    if (call?.status !== "approved") continue;
    if (!ride) throw new Error("run: executing approved calls needs the request's ride (db/client.ts)");
    const def = toolByName(call.name);
    let outcome: DecidedCall;
    try {
      const result = await scope.write(async (w) => {
        if (!def) throw new AppError(422, ErrorCode.unknown_tool, `There is no tool named ${call.name}.`);
        const input = def.input.safeParse(call.input);
        if (!input.success || findUnstorable(input.data))
          throw new AppError(422, ErrorCode.validation_failed, "The tool's input is invalid.");
        const cancel = ride(holdCall(scope, id, runId, call.id), (r) =>
          w.adopt((r.rows[0] as { r: { changes: LoggedChange[] } }).r.changes),
        );
        try {
          // The tool's statements join this write (one live message with the guard's changes).
          const joined = joinedWrite(scope, w);
          return await def.run(joined, input.data, { recordId: call.id });
        } finally {
          cancel(); // a tool whose statements all failed leaves nothing riding
        }
      });
      outcome = { id: call.id, status: "executed", result };
    } catch (err) {
      const code = refusal(err)?.code;
      if (code === "lease_expired") throw leaseLost();
      if (code === "tool_call_not_pending") throw notPending();
      const known = asAppError(err); // a domain refusal, or a quota (e.g. the todo limit)
      if (!known || known.code === "lease_expired") throw err;
      outcome = { id: call.id, status: "failed", result: errorResult(known) };
    }
    decided.push(outcome);
    row.call = { ...call, status: outcome.status, result: outcome.result };
  }
  return decided;
}

const size = (r: HistoryRow) =>
  r.message.content.length +
  (r.call ? JSON.stringify(r.call.input ?? null).length + JSON.stringify(r.call.result ?? null).length : 0);

/** The latest history within the budget, starting at a user message (so no tool result loses its call). */
export function trimHistory(
  rows: HistoryRow[],
  maxMessages = HISTORY_MESSAGES,
  maxChars = HISTORY_CHARS,
): HistoryRow[] {
  let start = Math.max(0, rows.length - maxMessages);
  let total = rows.slice(start).reduce((n, r) => n + size(r), 0);
  while (start < rows.length - 1 && total > maxChars) total -= size(rows[start++]!);
  while (start < rows.length && rows[start]!.message.role !== "user") start++;
  return rows.slice(start);
}

/** What of one tool result goes back into the next model call (README "Limits"): a paid model reads every byte. */
export const TOOL_RESULT_CHARS = 8_000;

/**
 * A result cut to TOOL_RESULT_CHARS of JSON: a listing keeps its first items
 * (and says how many it left out); anything else becomes a marked preview.
 */
export function trimToolResult(result: unknown): unknown {
  const chars = (v: unknown) => JSON.stringify(v ?? null).length;
  if (chars(result) <= TOOL_RESULT_CHARS) return result;
  const r = result as { items?: unknown[] } | null;
  if (r && Array.isArray(r.items)) {
    const out = { ...r, items: [...r.items], truncated: true, omitted_items: 0 };
    while (out.items.length > 0 && chars(out) > TOOL_RESULT_CHARS) {
      out.items.pop();
      out.omitted_items++;
    }
    if (chars(out) <= TOOL_RESULT_CHARS) return out;
  }
  return { truncated: true, preview: JSON.stringify(result).slice(0, TOOL_RESULT_CHARS - 64) };
}

function toolOutput(call: NonNullable<HistoryRow["call"]>) {
  switch (call.status) {
    case "executed":
      return { type: "json" as const, value: trimToolResult(call.result ?? null) as never };
    case "denied":
      return { type: "execution-denied" as const, reason: "The user denied this call." };
    default:
      return {
        type: "error-json" as const,
        value: (call.result ?? { error: { message: `Not run (${call.status}).` } }) as never,
      };
  }
}

/** Stored rows as AI SDK model messages: an assistant turn carries the calls its tool messages answer. */
export function toModelMessages(rows: HistoryRow[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  let assistant: Extract<ModelMessage, { role: "assistant" }> | undefined;
  let results: Extract<ModelMessage, { role: "tool" }> | undefined;
  for (const { message, call } of rows) {
    if (message.role === "user") {
      out.push({ role: "user", content: message.content });
      assistant = results = undefined;
    } else if (message.role === "assistant") {
      assistant = { role: "assistant", content: message.content ? [{ type: "text", text: message.content }] : [] };
      out.push(assistant);
      results = undefined;
    } else if (call && assistant && Array.isArray(assistant.content)) {
      assistant.content.push({ type: "tool-call", toolCallId: call.callId, toolName: call.name, input: call.input });
      if (!results) out.push((results = { role: "tool", content: [] }));
      results.content.push({
        type: "tool-result",
        toolCallId: call.callId,
        toolName: call.name,
        output: toolOutput(call),
      });
    }
  }
  return out.filter((m) => m.role !== "assistant" || m.content.length > 0);
}

/** What a user may read about a model failure (no provider URLs, keys or stacks). */
function describeModelError(err: unknown): string {
  const name = err instanceof Error ? err.name : "Error";
  if (name === "AbortError" || name === "TimeoutError")
    return "The model took too long to answer. Send your message again to retry.";
  return `The model could not answer (${name}). Send your message again to retry.`;
}

/**
 * The history under the claim, after executing approved calls and, on a send,
 * voiding calls an interrupted approval left undecided (rare): what the run
 * decided is recorded by its end, in the same statement as its messages.
 */
async function prepare(scope: Scope, id: string, runId: string, opts: RunOptions) {
  const stored = opts.history ?? (await readHistory(scope.db, scope.userId, id, HISTORY_MESSAGES));
  const decided = [...(opts.decided ?? []), ...(await executeApproved(scope, id, runId, stored, opts.ride))];
  if (opts.mode === "send")
    for (const row of stored)
      if (row.call?.status === "pending_approval") {
        const result = { reason: "The user sent a new message instead." };
        decided.push({ id: row.call.id, status: "denied", result });
        row.call = { ...row.call, status: "denied", result };
      }
  return { stored, decided };
}

/** One run; returns the state its end committed (what the response shows). */
export async function run(scope: Scope, id: string, runId: string, opts: RunOptions): Promise<ClaimedState> {
  const { stored, decided } = await prepare(scope, id, runId, opts);
  if (stored.some((r) => r.call?.status === "pending_approval"))
    return finishRun(scope, id, runId, { status: "awaiting_approval", calls: [], messages: [], decided });
  const seq = (stored.at(-1)?.message.seq ?? 0) + 1;
  const history = trimHistory(stored);
  const calls: NewToolCall[] = [];
  const produced: NewMessage[] = [];
  // This run's own steps, shaped like stored rows so they join the prompt the same way.
  const pendingRows: HistoryRow[] = [];
  let status: "idle" | "awaiting_approval" = "idle";
  try {
    const tools = modelTools();
    for (let step = 0; step < MAX_STEPS && status === "idle"; step++) {
      const left = opts.deadline - Date.now();
      if (left <= 0) throw Object.assign(new Error("deadline"), { name: "TimeoutError" });
      const result = await generateText({
        model: opts.model,
        system: SYSTEM_PROMPT,
        messages: toModelMessages([...history, ...pendingRows]),
        tools,
        maxRetries: 1,
        abortSignal: AbortSignal.timeout(left),
      });
      const now = new Date();
      produced.push({ role: "assistant", content: result.text });
      pendingRows.push({ message: fakeRow({ role: "assistant", content: result.text }, now), call: null });
      if (result.toolCalls.length === 0) break;
      for (const tc of result.toolCalls) {
        const def = toolByName(tc.toolName);
        const call: NewToolCall = {
          id: crypto.randomUUID(),
          callId: tc.toolCallId,
          name: tc.toolName,
          input: (tc.input && typeof tc.input === "object" ? tc.input : {}) as Record<string, unknown>,
          status: "executed",
          result: null,
        };
        if (!def || tc.invalid || findUnstorable(call.input)) {
          call.status = "failed";
          call.result = {
            error: {
              code: ErrorCode.invalid_tool_call,
              message: def ? "The input does not match the tool's schema." : `There is no tool named ${tc.toolName}.`,
            },
          };
        } else if (def.changesData) {
          call.status = "pending_approval";
          status = "awaiting_approval";
        } else {
          try {
            // Stored as the model will see it: bounded, so the conversation state stays small too.
            call.result = trimToolResult(await runReadingTool(scope, def, call, opts));
          } catch (err) {
            const known = asAppError(err);
            if (!known) throw err;
            call.status = "failed";
            call.result = errorResult(known);
          }
        }
        calls.push(call);
        produced.push({ role: "tool", content: "", toolCallId: call.id });
        pendingRows.push({
          message: fakeRow({ role: "tool", content: "", toolCallId: call.id }, now),
          call: fakeCall(call, now),
        });
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    // A model failure keeps the user's message; the conversation is `error` and a new send retries.
    return finishRun(scope, id, runId, {
      status: "error",
      error: describeModelError(err),
      calls: [],
      messages: [],
      decided,
    });
  }
  try {
    return await finishRun(scope, id, runId, { status, calls, messages: produced, seq, decided });
  } catch (err) {
    const quota = quotaExceeded(err);
    if (!quota) throw err;
    // The conversation is full (QUOTAS.messages): nothing of this run is stored; it says so.
    return finishRun(scope, id, runId, { status: "error", error: quota.message, calls: [], messages: [], decided });
  }
}

// Rows for this run's own steps before they are stored (only the fields the prompt reads matter).
const fakeRow = (m: NewMessage, now: Date): HistoryRow["message"] => ({
  id: crypto.randomUUID(),
  userId: "",
  conversationId: "",
  version: 1,
  createdAt: now,
  updatedAt: now,
  seq: 0,
  role: m.role,
  content: m.content,
  toolCallId: m.toolCallId ?? null,
});
const fakeCall = (c: NewToolCall, now: Date): NonNullable<HistoryRow["call"]> => ({
  ...c,
  userId: "",
  conversationId: "",
  version: 1,
  createdAt: now,
  updatedAt: now,
  undoneAt: null,
});
