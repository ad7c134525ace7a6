// Assistant and todo mutations. Todos are ordinary synced records: they go
// through the outbox (offline-capable, optimistic). The assistant's actions
// need the server's state machine, so they are plain requests that answer
// with the new state; each carries an Idempotency-Key so a retry after a lost
// response replays the answer instead of sending the message twice.
import { api, send, httpError, defaultFetch } from "../api/http.ts";
import type { Conversation, ConversationState, Todo, ToolCall, UpdateTodo } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { uuid } from "../sync/deps.ts";
import { createRecord, deleteRecord, editRecord, newRecord, path, quote } from "./record.ts";

const base = "/api/assistant/conversations";
const at = (id: string) => path`/api/assistant/conversations/${id}`;

// ---- todos (outbox) ---------------------------------------------------------

export function createTodo(store: SyncStore, title: string) {
  const fields = { title, done: false, due_at: null };
  const record = newRecord(store, "todo", fields);
  return createRecord(store, "todo", {
    path: "/api/todos",
    record,
    body: { title },
    label: `Add todo ${quote(title)}`,
  });
}

/** Guarded: a concurrent change elsewhere wins, with a notice. */
export function updateTodo(store: SyncStore, todo: Todo, patch: Omit<UpdateTodo, "version">) {
  const verb = patch.done === undefined ? "Edit" : patch.done ? "Complete" : "Reopen";
  return editRecord(store, "todo", {
    path: path`/api/todos/${todo.id}`,
    current: todo,
    patch,
    label: `${verb} ${quote(todo.title)}`,
  });
}

export function deleteTodo(store: SyncStore, todo: Todo) {
  return deleteRecord(store, "todo", {
    path: path`/api/todos/${todo.id}`,
    current: todo,
    label: `Delete ${quote(todo.title)}`,
  });
}

// ---- conversations (server actions) -------------------------------------------

export const createConversation = (title?: string) =>
  api<Conversation>(base, { method: "POST", body: title ? { title } : {}, headers: { "Idempotency-Key": uuid() } });

export const deleteConversation = (id: string) =>
  api<void>(at(id), { method: "DELETE", headers: { "Idempotency-Key": uuid() } });

export const sendMessage = (id: string, content: string) =>
  api<ConversationState>(`${at(id)}/actions/send_message`, {
    method: "POST",
    body: { content },
    headers: { "Idempotency-Key": uuid() },
    // The model may take a while; the run's lease bounds it on the server.
    timeoutMs: 120_000,
  });

/** Each decision may carry the call's `name` and `input` as the state showed them: the server then runs an approved one with its claim. */
export const approveTools = (
  id: string,
  approvals: { tool_call_id: string; approved: boolean; name?: string; input?: Record<string, unknown> }[],
) =>
  api<ConversationState>(`${at(id)}/actions/approve_tools`, {
    method: "POST",
    body: { approvals },
    headers: { "Idempotency-Key": uuid() },
    timeoutMs: 120_000,
  });

/** Undo what an executed tool call changed (version-checked on the server): the call, `undone_at` set. */
export const undoToolCall = (id: string) =>
  api<ToolCall>(path`/api/assistant/tool-calls/${id}/undo`, { method: "POST", headers: { "Idempotency-Key": uuid() } });

/** GET state with If-None-Match: null when unchanged (304). */
export async function fetchState(
  id: string,
  etag: string | null,
): Promise<{ state: ConversationState; etag: string } | null> {
  const res = await send(defaultFetch, `${at(id)}/state`, { headers: { "If-None-Match": etag ?? undefined } });
  if (res.status === 304) return null;
  if (!res.ok) throw httpError(res);
  return { state: res.body as ConversationState, etag: res.headers.get("etag") ?? "" };
}
