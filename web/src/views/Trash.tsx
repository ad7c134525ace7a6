import { createSignal, For, onMount, Show } from "solid-js";
import { api, describeError } from "../api/http.ts";
import type { HistoryEntry, Page } from "../api/types.ts";
import { Screen } from "../components/Screen.tsx";
import { path } from "../mutations/record.ts";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { createServerList } from "../ui/server-list.ts";
import { useSync } from "../ui/sync-context.ts";
import { dateTime, relative } from "../ui/format.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";

/** Rows per request (the server's maximum). */
const PAGE = 100;

const KIND: Record<HistoryEntry["entity"], string> = { todo: "Todo", inbox_item: "Inbox item", reference: "Reference" };

/**
 * Deleted todos, inbox items and references, restorable for 30 days (any
 * device's deletions). A restore is a new version written on the server: this
 * and every other device receive the record through the change log. Needs the
 * network, like Devices: the trash isn't cached.
 */
export default function Trash() {
  const store = useSync();
  // Where the next page starts (null after the last), and how many rows left the trash since
  // (restored): the cursor is an offset, so it moves back by as many.
  const [next, setNext] = createSignal<string | null>(null);
  let restored = 0;
  const page = async (cursor: string | null) => {
    const p = await api<Page<HistoryEntry>>(`/api/trash?page_size=${PAGE}${cursor ? `&cursor=${cursor}` : ""}`);
    setNext(p.next_cursor);
    return p.items;
  };
  const {
    items: list,
    setItems,
    error,
    setError,
    busy,
    load,
    act,
    drop,
  } = createServerList(() => {
    restored = 0;
    return page(null);
  });
  const [status, setStatus] = createSignal("");
  const [more, setMore] = createSignal(false);
  const loadMore = async () => {
    const cursor = next();
    if (!cursor) return;
    setMore(true);
    setError("");
    try {
      const at = Math.max(0, Number(cursor.slice(1)) - restored);
      const items = await page(`o${at}`);
      restored = 0;
      const seen = new Set((list() ?? []).map((e) => e.id));
      setItems([...(list() ?? []), ...items.filter((e) => !seen.has(e.id))]);
      setStatus(`${items.length} more shown.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setMore(false);
    }
  };
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
      restored++;
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
          <Show when={next()}>
            <button type="button" class="ghost" disabled={more()} onClick={() => void loadMore()}>
              {more() ? "Loading…" : "Load more"}
            </button>
          </Show>
        </Show>
      </Show>
    </Screen>
  );
}
