// Saved searches on the Search screen: run one again with a click (it fills
// the box), save the current query under a name, delete one (asked first).
// A declared record type: its writes come from recordClient, its limits from
// the declaration (DECLARED_LIMITS, inlined at build time).
import { createSignal, For, Show } from "solid-js";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { Field } from "../components/fields.tsx";
import { recordClient } from "../mutations/record.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";

const saved = recordClient("saved_search", "/api/saved-searches", { noun: "saved search", title: (s) => s.name });
const LIMIT = DECLARED_LIMITS.saved_search;

export default function SavedSearches(props: { query: string; onRun: (query: string) => void }) {
  const store = useSync();
  const all = useRecords("saved_search");
  const sorted = () => [...all()].sort((a, b) => a.name.localeCompare(b.name));
  const [name, setName] = createSignal("");
  const query = () => props.query.trim();
  const ready = () => name().trim() !== "" && query() !== "" && query().length <= LIMIT.query;

  const save = () => {
    if (!ready()) return;
    void saved.create(store, { name: name().trim(), query: query() });
    setName("");
  };

  return (
    <section class="card stack" aria-labelledby="saved-searches-title">
      <h2 id="saved-searches-title">Saved searches</h2>
      <Show when={sorted().length} fallback={<p class="small muted">Name a search to run it again later.</p>}>
        <ul class="list" role="list">
          <For each={sorted()}>
            {(s) => (
              <li class="row wrap">
                <button type="button" class="chip" title={s.query} onClick={() => props.onRun(s.query)}>
                  {s.name}
                </button>
                <span class="small muted">{s.query}</span>
                <ConfirmDelete what={`saved search “${s.name}”`} onConfirm={() => void saved.remove(store, s)} />
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={query()}>
        <form
          class="row wrap"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <Field for="saved-search-name" label="Name for this search" inline grow>
            <input
              id="saved-search-name"
              type="text"
              maxlength={LIMIT.name}
              value={name()}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </Field>
          <button type="submit" disabled={!ready()}>
            Save search
          </button>
        </form>
      </Show>
    </section>
  );
}
