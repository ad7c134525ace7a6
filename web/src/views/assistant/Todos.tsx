// The todos the assistant reads and writes — ordinary synced records, so they
// change live here whether the assistant, MCP or this list changed them.
import { createMemo, Show } from "solid-js";
import { createTodo, deleteTodo, updateTodo } from "../../mutations/assistant.ts";
import { useSync } from "../../ui/sync-context.ts";
import { useRecordsRaw } from "../../ui/raw-records.ts";
import { LIMITS } from "@protocol/rules.ts";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { VirtualList } from "../../components/VirtualList.tsx";

export function Todos() {
  const store = useSync();
  // Sorted over the plain records (no subscription per field read); rendered rows get the reactive record.
  const todos = useRecordsRaw("todo");
  // Open first, then newest (ISO timestamps order as plain strings).
  const sorted = createMemo(() =>
    todos()
      .raw.slice()
      .sort(
        (x, y) =>
          Number(x.done) - Number(y.done) || (y.created_at < x.created_at ? -1 : y.created_at > x.created_at ? 1 : 0),
      ),
  );
  const add = (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const field = form.elements.namedItem("title") as HTMLInputElement;
    const title = field.value.trim();
    if (!title) return;
    void createTodo(store, title.slice(0, LIMITS.todo.title));
    field.value = "";
  };
  return (
    <section class="todos card" aria-labelledby="todos-title">
      <h2 id="todos-title" class="panel-title">
        Todos
      </h2>
      <p class="small muted">
        The assistant's list. Captured notes live in the <a href="#/inbox">Inbox</a>.
      </p>
      <form class="row" onSubmit={add}>
        <label for="todo-new" class="sr-only">
          New todo
        </label>
        <input id="todo-new" name="title" maxLength={LIMITS.todo.title} placeholder="New todo" autocomplete="off" />
        <button type="submit" class="ghost">
          Add
        </button>
      </form>
      <Show when={sorted().length} fallback={<p class="muted small">No todos yet.</p>}>
        <VirtualList
          items={sorted()}
          live={todos().live}
          key={(t) => t.id}
          estimate={44}
          class="todo-list"
          aria-label="Todos"
          data-testid="todo-list"
        >
          {(t, index) => (
            <li
              class="todo"
              data-done={t.done}
              data-index={index()}
              aria-posinset={index() + 1}
              aria-setsize={sorted().length}
            >
              <input
                type="checkbox"
                id={`todo-${t.id}`}
                checked={t.done}
                onChange={(e) => void updateTodo(store, t, { done: e.currentTarget.checked })}
              />
              <label for={`todo-${t.id}`}>{t.title}</label>
              <ConfirmDelete what={`“${t.title}”`} onConfirm={() => void deleteTodo(store, t)} />
            </li>
          )}
        </VirtualList>
      </Show>
    </section>
  );
}
