import { createSignal, For, onMount, Show } from "solid-js";
import { api } from "../api/http.ts";
import type { HistoryEntry, Page } from "../api/types.ts";
import { Screen } from "../components/Screen.tsx";
import { path } from "../mutations/record.ts";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { createServerList } from "../ui/server-list.ts";
import { useSync } from "../ui/sync-context.ts";
import { dateTime, relative } from "../ui/format.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

const KIND: Record<HistoryEntry["entity"], string> = { todo: "Todo", inbox_item: "Inbox item", reference: "Reference" };

/**
 * Deleted todos, inbox items and references, restorable for 30 days (any
 * device's deletions). A restore is a new version written on the server: this
 * and every other device receive the record through the change log. Needs the
 * network, like Devices: the trash isn't cached.
 */
export default function Trash() {
  const store = useSync();
  const {
    items: list,
    error,
    busy,
    load,
    act,
    drop,
  } = createServerList(async () => (await api<Page<HistoryEntry>>("/api/trash?page_size=100")).items);
  const [status, setStatus] = createSignal("");
  onMount(() => {
    focusHeadingAfterNav("trash-title");
    void load();
  });

  const titleOf = (e: HistoryEntry) => String(e.record.title ?? "Untitled");

  const restore = (e: HistoryEntry) => {
    setStatus("");
    return act(e.id, async () => {
      await api(path`/api/history/${e.id}/restore`, { method: "POST" });
      // This device learns of the restored record at once (a polling device wouldn't until its next poll).
      void store.pullNow();
      drop(e.id);
      setStatus(`Restored “${titleOf(e)}”.`);
    });
  };

  return (
    <Screen
      id="trash-title"
      title="Trash"
      actions={
        <button type="button" class="ghost" onClick={() => void load()}>
          Refresh
        </button>
      }
    >
      <p class="muted">Deleted todos, inbox items and references stay here for 30 days.</p>
      <ErrorAlert message={error()} />
      <p class="muted" role="status">
        {status()}
      </p>
      <Show when={list() || error()} fallback={<p class="muted">Loading…</p>}>
        <Show when={(list() ?? []).length > 0 || error()} fallback={<p class="muted">The trash is empty.</p>}>
          <ul class="list" role="list">
            <For each={list() ?? []}>
              {(e) => (
                <li class="card item">
                  <div class="item-main">
                    <h2 class="item-title">{titleOf(e)}</h2>
                    <p class="muted small">
                      {KIND[e.entity]} · deleted <time datetime={e.at}>{relative(e.at)}</time> ({dateTime(e.at)})
                    </p>
                  </div>
                  <div class="item-actions">
                    <button type="button" disabled={busy() === e.id} onClick={() => void restore(e)}>
                      Restore<span class="sr-only"> “{titleOf(e)}”</span>
                    </button>
                  </div>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </Screen>
  );
}
