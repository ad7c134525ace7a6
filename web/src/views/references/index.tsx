// #/references: notes, links and recordings. Search and filters run on this
// device over the synced cache (mutations/references.ts filterReferences, the
// same rules as GET /api/references), so they work offline and follow live
// changes. Detail.tsx shows one reference; Form.tsx creates and edits.
import { createMemo, createSignal, For, onMount, Show } from "solid-js";
import { filterReferences } from "../../mutations/references.ts";
import { createDisclosure, focusHeadingAfterNav } from "../../ui/a11y.ts";
import { useRecords } from "../../ui/sync-context.ts";
import { useRecordsRaw } from "../../ui/raw-records.ts";
import { ReferenceRow } from "./Detail.tsx";
import { ReferenceForm } from "./Form.tsx";
import { Screen } from "../../components/Screen.tsx";
import { Field, SearchField } from "../../components/fields.tsx";
import { VirtualList } from "../../components/VirtualList.tsx";

export default function References() {
  // Filters and the sort run over the plain records (no subscription per field read);
  // only the rows rendered get the reactive record.
  const all = useRecordsRaw("reference");
  const refs = () => all().raw;
  const audio = useRecords("audio");
  const [q, setQ] = createSignal("");
  const [category, setCategory] = createSignal("");
  const [tag, setTag] = createSignal("");
  const [archived, setArchived] = createSignal(false);
  const creating = createDisclosure();
  onMount(() => focusHeadingAfterNav("references-title"));

  const categories = createMemo(() =>
    [...new Set(refs().flatMap((r) => (r.category ? [r.category] : [])))].sort((a, b) => a.localeCompare(b)),
  );
  const tags = createMemo(() => [...new Set(refs().flatMap((r) => r.tags))].sort((a, b) => a.localeCompare(b)));
  // Plain records; VirtualList hands the rendered ones their reactive record (live).
  const visible = createMemo(() =>
    filterReferences(all().raw, { q: q(), category: category(), tag: tag(), archived: archived() }),
  );
  const audioById = createMemo(() => new Map(audio().map((a) => [a.id, a])));
  const filtering = () => Boolean(q().trim() || category() || tag());

  return (
    <Screen
      id="references-title"
      title="References"
      actions={
        <Show when={!creating.isOpen()}>
          <button type="button" class="primary" ref={creating.opener} onClick={creating.open}>
            New reference
          </button>
        </Show>
      }
    >
      <Show when={creating.isOpen()}>
        <ReferenceForm audio={audio()} categories={categories()} onDone={creating.close} />
      </Show>

      <div class="card filters" role="search" aria-label="Filter references">
        <SearchField
          id="ref-search"
          label="Search"
          placeholder="Words, tags or a category"
          value={q()}
          onInput={setQ}
        />
        <Field for="ref-category" label="Category">
          <select id="ref-category" value={category()} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">All categories</option>
            <For each={categories()}>{(c) => <option value={c}>{c}</option>}</For>
          </select>
        </Field>
        <Field for="ref-tag" label="Tag">
          <select id="ref-tag" value={tag()} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">All tags</option>
            <For each={tags()}>{(t) => <option value={t}>#{t}</option>}</For>
          </select>
        </Field>
        <label class="choice">
          <input type="checkbox" checked={archived()} onChange={(e) => setArchived(e.currentTarget.checked)} />
          Show archived
        </label>
      </div>

      <p class="muted" aria-live="polite">
        {filtering()
          ? `${visible().length} matching`
          : `${visible().length} ${visible().length === 1 ? "reference" : "references"}`}
      </p>

      <Show
        when={visible().length}
        fallback={
          <div class="empty card">
            <p>
              {filtering()
                ? "Nothing matches."
                : refs().length
                  ? "Everything here is archived — tick “Show archived” to see it."
                  : "No references yet."}
            </p>
            <Show when={!filtering() && !refs().length}>
              <p class="muted">Keep notes, links and recordings you come back to. Pin the ones you need most.</p>
            </Show>
          </div>
        }
      >
        {/* Only the rows near the viewport are in the DOM (a library can hold thousands). */}
        <VirtualList
          items={visible()}
          live={all().live}
          key={(r) => r.id}
          estimate={140}
          aria-label="References"
          data-testid="reference-list"
        >
          {(r, index) => (
            <ReferenceRow
              item={r}
              index={index()}
              size={visible().length}
              audio={r.audio_id ? audioById().get(r.audio_id) : undefined}
              allAudio={audio()}
              categories={categories()}
              onTag={setTag}
              onCategory={setCategory}
            />
          )}
        </VirtualList>
      </Show>
    </Screen>
  );
}
