// The public feed (newest or top), with play, like and remix. Pages come from
// GET /api/studio/feed (keyset: "Load more" continues from next_cursor); the
// caller's likes come from the sync store, so they agree across devices.
import { createMemo, createSignal, For, onMount, Show } from "solid-js";
import { api, describeError } from "../../api/http.ts";
import type { FeedItem, FeedResponse, User } from "../../api/types.ts";
import { loopPattern } from "../../audio/pattern.ts";
import { remixLoop, setLike } from "../../mutations/studio.ts";
import { useRecords, useSync } from "../../ui/sync-context.ts";
import { Counters, countPlay, PlayButton, RemixOf } from "./common.tsx";
import { ErrorAlert } from "../../components/ErrorAlert.tsx";

type Sort = "new" | "top";

export function Feed(props: { user: User }) {
  const store = useSync();
  const likes = useRecords("loop_like");
  const liked = createMemo(() => new Set(likes().map((l) => l.loop_id)));
  const [sort, setSort] = createSignal<Sort>("new");
  const [items, setItems] = createSignal<FeedItem[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const [remixed, setRemixed] = createSignal<string | null>(null);

  const load = async (more: boolean) => {
    setBusy(true);
    setError("");
    try {
      const q = new URLSearchParams({ sort: sort(), limit: "20" });
      if (more && cursor()) q.set("cursor", cursor()!);
      const page = await api<FeedResponse>(`/api/studio/feed?${q}`);
      // Keyset pages never repeat an item; the Set guards against a like moving one in "top".
      setItems((prev) => {
        const base = more ? prev : [];
        const seen = new Set(base.map((i) => i.id));
        return [...base, ...page.items.filter((i) => !seen.has(i.id))];
      });
      setCursor(page.next_cursor);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  onMount(() => void load(false));
  const choose = (s: Sort) => {
    setSort(s);
    void load(false);
  };

  return (
    <section aria-labelledby="feed-title" class="stack">
      <div class="row wrap">
        <h2 id="feed-title" class="grow">
          Public loops
        </h2>
        <div class="segmented" role="group" aria-label="Sort the feed">
          <button type="button" aria-pressed={sort() === "new"} onClick={() => choose("new")}>
            Newest
          </button>
          <button type="button" aria-pressed={sort() === "top"} onClick={() => choose("top")}>
            Top
          </button>
        </div>
        <button type="button" class="ghost" onClick={() => void load(false)} disabled={busy()}>
          Refresh
        </button>
      </div>
      <ErrorAlert message={error()} />
      <Show when={remixed()}>
        <p class="banner" role="status">
          Remixed — it is in <a href="#/studio">My loops</a> as a private loop.
        </p>
      </Show>
      <Show
        when={items().length || busy()}
        fallback={<p class="empty card">No public loops yet. Share one of yours!</p>}
      >
        <ul class="list" role="list" aria-label="Public loops" data-testid="feed-list">
          <For each={items()}>
            {(item) => {
              const isLiked = () => liked().has(item.id);
              const count = () => item.likes_count + (isLiked() ? 1 : 0) - (item.liked ? 1 : 0);
              const mine = item.owner.id === props.user.id;
              return (
                <li class="card item" data-testid="feed-item" data-loop-id={item.id}>
                  <div class="studio-item">
                    <span class="swatch" style={{ background: item.color }} aria-hidden="true" />
                    <div class="grow">
                      <h3 class="item-title">{item.name}</h3>
                      <p class="small muted">
                        by @{item.owner.username} · {item.bars} {item.bars === 1 ? "bar" : "bars"} · {item.bpm} bpm
                      </p>
                      <RemixOf username={item.remix_of?.owner.username} ownerDeleted={item.parent_owner_deleted} />
                      <Counters loop={item} likes={count()} />
                    </div>
                  </div>
                  <div class="item-actions row wrap">
                    <PlayButton
                      id={`feed-${item.id}`}
                      name={item.name}
                      pattern={() => loopPattern(item)}
                      onPlay={() => countPlay(item.id)}
                    />
                    <button
                      type="button"
                      aria-pressed={isLiked()}
                      onClick={() => void setLike(store, item, !isLiked())}
                    >
                      <span aria-hidden="true">{isLiked() ? "♥" : "♡"}</span> {isLiked() ? "Liked" : "Like"}
                      <span class="sr-only"> {item.name}</span>
                    </button>
                    <Show when={mine || item.remixable}>
                      <button
                        type="button"
                        onClick={() => {
                          remixLoop(store, props.user, item);
                          setRemixed(item.id);
                        }}
                      >
                        Remix<span class="sr-only"> {item.name}</span>
                      </button>
                    </Show>
                  </div>
                </li>
              );
            }}
          </For>
        </ul>
      </Show>
      <Show when={cursor()}>
        <button type="button" onClick={() => void load(true)} disabled={busy()}>
          {busy() ? "Loading…" : "Load more"}
        </button>
      </Show>
    </section>
  );
}
