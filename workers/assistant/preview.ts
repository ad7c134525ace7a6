/**
 * What an approval card shows (SPEC §5 Assistant): for each pending call, what
 * will change, read from the database by the call's own input — the todo's
 * current title for a complete or delete, the minutes of a focus session — so a
 * model (or a prompt injected into it) can't describe one todo while its call
 * deletes another: the card names the record the call will touch.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { conversations, todos } from "../../db/schema";
import type { ToolCallPreview } from "../protocol/assistant";
import { recentChangeOf, recentChanges, type RawRecentChange, type RecentChange } from "../data/undo";

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
  // undo_last_action: the change it would undo now (approving later undoes whatever is latest then).
  const [latest] = calls.some((c) => c.name === "undo_last_action") ? await recentChanges(db, userId, 1) : [];
  return previewsFrom(calls, found, latest);
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

/**
 * The user's latest change when the conversation has a pending undo_last_action
 * (what approving it would undo now), as a query for the same batch; no rows otherwise.
 */
export const pendingUndoQuery = (db: Db, userId: string, conversationId: string) =>
  db
    .select({ changes: sql<RawRecentChange[]>`continuum_recent_changes(${userId}, 1)` })
    .from(conversations)
    .where(
      and(
        eq(conversations.userId, userId),
        eq(conversations.id, conversationId),
        sql`exists (select 1 from tool_calls tc where tc.user_id = ${userId} and tc.conversation_id = ${conversationId}
          and tc.status = 'pending_approval' and tc.name = 'undo_last_action')`,
      ),
    );

/** What pendingUndoQuery read, as the change it names. */
export const latestOf = (rows: { changes: RawRecentChange[] }[]) => rows[0]?.changes.map(recentChangeOf)[0];

/** Previews for the pending calls, given the todos they name and the latest change (read already). */
export function previewsFrom(
  calls: PendingCall[],
  found: { id: string; title: string; done: boolean }[],
  latest?: RecentChange,
) {
  const byId = new Map(found.map((t) => [t.id, t]));
  return calls.map((c) => previewOf(c, byId, latest));
}

const ENTITY_NAMES = { todo: "todo", inbox_item: "inbox item", reference: "reference" } as const;

function previewOf(
  c: PendingCall,
  todosById: Map<string, { id: string; title: string; done: boolean }>,
  latest: RecentChange | undefined,
) {
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
    case "undo_last_action": {
      if (!latest) return { summary: "Undo the latest change (there is none yet)" };
      const what = `the ${ENTITY_NAMES[latest.entity]}${latest.title === null ? "" : ` ${quoted(latest.title)}`}`;
      const verb = { created: "Delete", edited: "Undo the last edit of", deleted: "Bring back" }[latest.kind];
      return { summary: `${verb} ${what}` };
    }
    default:
      return { summary: `Run ${c.name}` };
  }
}
