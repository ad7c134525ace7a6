// Assistant and todo mutations. Todos are ordinary synced records: they go
// through the outbox (offline-capable, optimistic). The assistant's actions
// need the server's state machine, so they are plain requests that answer
// with the new state; each carries an Idempotency-Key so a retry after a lost
// response replays the answer instead of sending the message twice.
import { api, send, httpError, defaultFetch } from "../api/http.ts";
import type { Conversation, ConversationState, PersonalToken, Todo, UpdateTodo } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { uuid } from "../sync/deps.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const quote = (t: string) => `“${t.length > 40 ? `${t.slice(0, 39)}…` : t}”`;
const base = "/api/assistant/conversations";
const at = (id: string) => `${base}/${encodeURIComponent(id)}`;

// ---- todos (outbox) ---------------------------------------------------------

export function createTodo(store: SyncStore, title: string) {
  const id = uuid();
  const now = iso(store.serverNow());
  const todo: Todo = { id, version: 1, created_at: now, updated_at: now, title, done: false, due_at: null };
  return store.mutate({
    method: "POST",
    path: "/api/todos",
    body: { id, title },
    entity: "todo",
    id,
    optimistic: { op: "upsert", data: todo },
    label: `Add todo ${quote(title)}`,
  });
}

export function updateTodo(store: SyncStore, todo: Todo, patch: Omit<UpdateTodo, "version">) {
  const next: Todo = { ...todo, ...patch, version: todo.version + 1, updated_at: iso(store.serverNow()) };
  return store.mutate({
    method: "PUT",
    path: `/api/todos/${encodeURIComponent(todo.id)}`,
    body: patch,
    entity: "todo",
    id: todo.id,
    ifMatch: todo.version,
    optimistic: { op: "upsert", data: next },
    label: `${patch.done === undefined ? "Edit" : patch.done ? "Complete" : "Reopen"} ${quote(todo.title)}`,
  });
}

export function deleteTodo(store: SyncStore, todo: Todo) {
  return store.mutate({
    method: "DELETE",
    path: `/api/todos/${encodeURIComponent(todo.id)}`,
    entity: "todo",
    id: todo.id,
    optimistic: { op: "delete" },
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

export const approveTools = (id: string, approvals: { tool_call_id: string; approved: boolean }[]) =>
  api<ConversationState>(`${at(id)}/actions/approve_tools`, {
    method: "POST",
    body: { approvals },
    headers: { "Idempotency-Key": uuid() },
    timeoutMs: 120_000,
  });

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

// ---- personal access tokens ------------------------------------------------------

export const createAccessToken = (name: string) =>
  api<PersonalToken>("/api/auth/tokens", { method: "POST", body: { name } });

export const revokeAccessToken = (id: string) =>
  api<void>(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
