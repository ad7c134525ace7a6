// #/search: one box over the inbox, references and todos, answered from this
// device's own records (ui/search-index.ts) — offline too. While a new device
// is still loading its records and the server answers, the server's
// full-text search of references (GET /api/references?q=) fills in what the
// device doesn't hold yet. Lazy like every screen: none of it is in the
// initial bundle.
import { createEffect, createMemo, createResource, createSignal, For, lazy, onCleanup, onMount, Show } from "solid-js";
import { api } from "../api/http.ts";
import type { Reference } from "../api/types.ts";
import { Screen } from "../components/Screen.tsx";
import { SearchField } from "../components/fields.tsx";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { count, relative } from "../ui/format.ts";
import { buildIndex, search, type Index, type Kind, type Searchable } from "../ui/search-index.ts";
import { useSync } from "../ui/sync-context.ts";

const SavedSearches = lazy(() => import("./SavedSearches.tsx"));

const KINDS: Record<Kind, { label: string; href: string }> = {
  inbox_item: { label: "Inbox", href: "#/inbox" },
  reference: { label: "Reference", href: "#/references" },
  todo: { label: "Todo", href: "#/assistant" },
};

type Raw = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Searchables per raw record object: the sync store replaces a record's object when it changes. */
const made = new WeakMap<object, Searchable>();
function searchable(kind: Kind, r: Raw): Searchable {
  let s = made.get(r);
  if (!s) {
    s = {
      kind,
      id: str(r.id),
      title: str(r.title),
      body: kind === "reference" ? `${str(r.content)} ${str(r.category)} ${str(r.url)}` : str(r.description),
      tags: Array.isArray(r.tags) ? (r.tags as string[]) : [],
      at: str(r.created_at),
    };
    made.set(r, s);
  }
  return s;
}

export function Search() {
  const store = useSync();
  const [query, setQuery] = createSignal("");
  const [version, setVersion] = createSignal(0);
  const [index, setIndex] = createSignal<Index | null>(null);
  const bump = () => setVersion((v) => v + 1);
  const offs = (["inbox_item", "reference", "todo"] as const).map((e) => store.onRecords(e, bump));
  onCleanup(() => offs.forEach((off) => off()));
  onMount(() => focusHeadingAfterNav("search-title"));

  const all = createMemo(() => {
    version();
    return (["inbox_item", "reference", "todo"] as const).flatMap((kind) =>
      (store.records(kind) as unknown as Raw[]).map((r) => searchable(kind, r)),
    );
  });
  // The index is built once, in slices; what changes after is scanned, until
  // so much has that building it again is worth it.
  let building = false;
  const rebuild = () => {
    if (building) return;
    building = true;
    const t0 = performance.now();
    void buildIndex(all()).then((built) => {
      performance.measure("continuum:search-index", { start: t0, end: performance.now() });
      building = false;
      setIndex(built);
    });
  };
  onMount(rebuild);
  createEffect(() => {
    const built = index();
    if (built && stale(built) > 2000) rebuild();
  });
  const stale = (built: Index) => all().filter((s) => !built.held.has(s)).length;

  const local = createMemo(() => {
    const q = query();
    if (!q.trim()) return null;
    const t0 = performance.now();
    const result = search(all(), q, index());
    performance.measure("continuum:search", { start: t0, end: performance.now() });
    return result;
  });

  // Still loading (no cursor yet) and online: ask the server's full-text search too.
  const [remote] = createResource(
    () => (query().trim() && !store.loaded() && store.status().mode !== "offline" ? query().trim() : false),
    (q) =>
      api<{ items: Reference[] }>(`/api/references?q=${encodeURIComponent(q)}&page_size=20`).then(
        (r) => r.items,
        () => [] as Reference[], // unreachable after all: the device's own answer stands
      ),
  );
  const hits = createMemo(() => {
    const mine = local()?.hits.map((h) => h.item) ?? [];
    const have = new Set(mine.map((s) => `${s.kind}/${s.id}`));
    const more = (remote.latest ?? [])
      .map((r) => searchable("reference", r as unknown as Raw))
      .filter((s) => !have.has(`reference/${s.id}`));
    return [...mine, ...more];
  });
  const total = () => (local()?.total ?? 0) + (hits().length - (local()?.hits.length ?? 0));

  return (
    <Screen id="search-title" title="Search">
      <div class="card" role="search" aria-label="Search everything">
        <SearchField
          id="search-all"
          label="Search the inbox, references and todos"
          placeholder="Words or #tags"
          autocomplete="off"
          value={query()}
          onInput={setQuery}
        />
      </div>
      <SavedSearches query={query()} onRun={setQuery} />
      <p class="muted" aria-live="polite" data-testid="search-count" data-indexed={index() ? "" : undefined}>
        {!query().trim()
          ? `${count(all().length)} records on this device.`
          : `${count(total())} ${total() === 1 ? "match" : "matches"}${total() > hits().length ? ` — the best ${hits().length} shown` : ""}.`}
      </p>
      <Show when={hits().length}>
        <ul class="list" role="list" aria-label="Search results" data-testid="search-results">
          <For each={hits()}>
            {(s) => (
              <li class="card item" data-kind={s.kind}>
                <div class="item-main">
                  <h2 class="item-title">
                    <a href={KINDS[s.kind].href}>{s.title}</a>
                  </h2>
                  <Show when={s.body.trim()}>
                    <p class="item-desc">{s.body.length > 200 ? `${s.body.slice(0, 200)}…` : s.body}</p>
                  </Show>
                  <div class="item-meta">
                    <span class="badge">{KINDS[s.kind].label}</span>
                    <Show when={s.tags.length}>
                      <span class="small muted">{s.tags.map((t) => `#${t}`).join(" ")}</span>
                    </Show>
                    <Show when={s.at}>
                      <time class="muted small" datetime={s.at}>
                        {relative(s.at)}
                      </time>
                    </Show>
                  </div>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </Screen>
  );
}
