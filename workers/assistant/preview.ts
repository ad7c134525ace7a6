/**
 * What an approval card shows (SPEC §5 Assistant): for each pending call, what
 * will change, read from the database by the call's own input — the todo's
 * current title for a complete or delete, the minutes of a focus session — so a
 * model (or a prompt injected into it) can't describe one todo while its call
 * deletes another: the card names the record the call will touch.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { todos } from "../../db/schema";
import type { ToolCallPreview } from "../protocol/assistant";

interface PendingCall {
  name: string;
  input: Record<string, unknown>;
}

const quoted = (s: string) => `“${s.length > 120 ? `${s.slice(0, 119)}…` : s}”`;
const str = (v: unknown) => (typeof v === "string" ? v : "");

const TODO_TOOLS = ["complete_todo", "delete_todo"];

/** Previews for the pending calls (one query for the todos they name, none when they name none). */
export async function previewCalls(db: Db | Tx, userId: string, calls: PendingCall[]): Promise<ToolCallPreview[]> {
  const ids = calls
    .filter((c) => TODO_TOOLS.includes(c.name))
    .map((c) => str(c.input.id))
    .filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  const found = ids.length
    ? await db
        .select({ id: todos.id, title: todos.title, done: todos.done })
        .from(todos)
        .where(and(eq(todos.userId, userId), inArray(todos.id, ids)))
    : [];
  return previewsFrom(calls, found);
}

const UUID_RE = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/**
 * The todos a conversation's pending calls name, as a query to send along with
 * the state's other reads (one round trip for the whole state).
 */
export const pendingTodosQuery = (db: Db, userId: string, conversationId: string) =>
  db
    .select({ id: todos.id, title: todos.title, done: todos.done })
    .from(todos)
    .where(
      and(
        eq(todos.userId, userId),
        sql`${todos.id} in (select case when tc.input->>'id' ~* ${UUID_RE} then (tc.input->>'id')::uuid end
          from tool_calls tc where tc.user_id = ${userId} and tc.conversation_id = ${conversationId}
            and tc.status = 'pending_approval' and tc.name in ('complete_todo', 'delete_todo'))`,
      ),
    );

/** Previews for the pending calls, given the todos they name (read already). */
export function previewsFrom(calls: PendingCall[], found: { id: string; title: string; done: boolean }[]) {
  const byId = new Map(found.map((t) => [t.id, t]));
  return calls.map((c) => previewOf(c, byId));
}

function previewOf(c: PendingCall, todosById: Map<string, { id: string; title: string; done: boolean }>) {
  switch (c.name) {
    case "create_todo": {
      const due = str(c.input.due_at);
      return { summary: `Create the todo ${quoted(str(c.input.title))}${due ? `, due ${due}` : ""}` };
    }
    case "complete_todo":
    case "delete_todo": {
      const todo = todosById.get(str(c.input.id)) ?? null;
      const verb = c.name === "complete_todo" ? "Mark as done" : "Delete";
      return {
        summary: todo ? `${verb} the todo ${quoted(todo.title)}` : `${verb} a todo that no longer exists`,
        todo,
      };
    }
    case "capture_inbox":
      return { summary: `Add ${quoted(str(c.input.title))} to the inbox` };
    case "start_focus": {
      const minutes = Number(c.input.minutes);
      const label = str(c.input.label);
      return { summary: `Start a ${minutes}-minute focus session${label ? ` (${quoted(label)})` : ""}`, minutes };
    }
    default:
      return { summary: `Run ${c.name}` };
  }
}
