import { createMemo, createSignal, For, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { InboxItem, Settings } from "../api/types.ts";
import { FirstRunGuide } from "./FirstRunGuide.tsx";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { SHORTCUT } from "../components/Omnibar.tsx";
import { TagList } from "../components/TagList.tsx";
import { VersionsButton } from "../components/VersionsButton.tsx";
import { deleteInboxItem, setInboxState, updateInboxItem } from "../mutations/inbox.ts";
import { parseTagList } from "../ui/capture.ts";
import { createDisclosure } from "../ui/a11y.ts";
import { count, relative } from "../ui/format.ts";
import { matches } from "../ui/search.ts";
import { sortedCopy } from "../ui/sorted.ts";
import { useSync } from "../ui/sync-context.ts";
import { useRecordsRaw } from "../ui/raw-records.ts";
import { Screen } from "../components/Screen.tsx";
import { VirtualList } from "../components/VirtualList.tsx";
import { Field, FormButtons, SearchField, TagsField } from "../components/fields.tsx";

type Shown = "open" | "done" | "archived";
type Order = "newest" | "oldest" | "title";
const SHOWN: Record<Shown, { label: string; test: (i: InboxItem) => boolean; noun: string }> = {
  open: { label: "To do", test: (i) => !i.done_at && !i.archived_at, noun: "open" },
  done: { label: "Done", test: (i) => !!i.done_at && !i.archived_at, noun: "done" },
  archived: { label: "Archived", test: (i) => !!i.archived_at, noun: "archived" },
};
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const titles = new Intl.Collator(undefined, { sensitivity: "base" });
const ORDER: Record<Order, { label: string; compare: (a: InboxItem, b: InboxItem) => number }> = {
  // ISO timestamps order as plain strings: no locale collation (which costs ~1 s over 50 000 items).
  newest: { label: "Newest first", compare: (a, b) => byText(b.created_at, a.created_at) },
  oldest: { label: "Oldest first", compare: (a, b) => byText(a.created_at, b.created_at) },
  title: { label: "Title A–Z", compare: (a, b) => titles.compare(a.title, b.title) },
};
const items_ = (n: number) => `${count(n)} ${n === 1 ? "item" : "items"}`;

export function Inbox(props: { settings: Settings }) {
  // Filters, counts and the sort run over the plain records (tens of thousands: no
  // subscription per field read); only the rows rendered get the reactive record.
  const items = useRecordsRaw("inbox_item");
  const [tag, setTag] = createSignal("");
  const [query, setQuery] = createSignal("");
  const [shown, setShown] = createSignal<Shown>("open");
  const [order, setOrder] = createSignal<Order>("newest");

  /** The records the chosen state shows. */
  const inView = createMemo(() => items().raw.filter(SHOWN[shown()].test));
  const tagCounts = createMemo(() => {
    const counts = new Map<string, number>();
    for (const r of inView()) for (const t of r.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
    // Natural order: #t2 before #t10.
    return [...counts].sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true }));
  });
  // The rows: plain records, sorted (an edit re-places the records it changed, not all of them);
  // VirtualList hands the rendered ones their reactive record (live).
  const sort = sortedCopy<InboxItem>();
  const visible = createMemo(() => {
    const t = tag();
    const q = query();
    const compare = ORDER[order()].compare;
    // No filter: the records in view as they are (no per-record match to run).
    const picked =
      !t && !q.trim()
        ? inView()
        : inView().filter((r) => (!t || r.tags.includes(t)) && matches(q, [r.title, r.description, ...r.tags]));
    return sort(picked, compare);
  });
  const filtered = () => !!(tag() || query().trim());

  return (
    <Screen
      id="inbox-title"
      title="Inbox"
      actions={
        <a class="small" href="#/assistant">
          Todos from the assistant →
        </a>
      }
    >
      <FirstRunGuide settings={props.settings} />
      <div class="row wrap inbox-tools" role="group" aria-label="Find and sort">
        <SearchField
          id="inbox-search"
          label="Search"
          inline
          placeholder="Words or #tags"
          value={query()}
          onInput={setQuery}
        />
        <Field for="inbox-show" label="Show" inline>
          <select id="inbox-show" value={shown()} onChange={(e) => setShown(e.currentTarget.value as Shown)}>
            <For each={Object.entries(SHOWN)}>{([k, v]) => <option value={k}>{v.label}</option>}</For>
          </select>
        </Field>
        <Field for="inbox-sort" label="Sort" inline>
          <select id="inbox-sort" value={order()} onChange={(e) => setOrder(e.currentTarget.value as Order)}>
            <For each={Object.entries(ORDER)}>{([k, v]) => <option value={k}>{v.label}</option>}</For>
          </select>
        </Field>
        <Field for="inbox-tag" label="Tag" inline>
          <select id="inbox-tag" value={tag()} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">All tags</option>
            <For each={tagCounts()}>{([t, n]) => <option value={t}>{`#${t} (${n})`}</option>}</For>
          </select>
        </Field>
      </div>
      <p class="muted" aria-live="polite" data-testid="inbox-count">
        {filtered()
          ? `${count(visible().length)} of ${items_(inView().length)}${tag() ? ` tagged #${tag()}` : ""}`
          : `${items_(inView().length)} ${SHOWN[shown()].noun}`}
      </p>

      <Show
        when={visible().length}
        fallback={
          <div class="empty card">
            <Show
              when={!filtered() && shown() === "open"}
              fallback={<p>{filtered() ? "Nothing matches." : `Nothing ${SHOWN[shown()].noun}.`}</p>}
            >
              <p>{items().raw.length ? "All done. Nice." : "Nothing captured yet."}</p>
              <p class="muted">
                Press <kbd>{SHORTCUT}</kbd> anywhere, type, and hit Enter. Words like <code>#errands</code> become tags.
              </p>
            </Show>
          </div>
        }
      >
        {/* Only the rows near the viewport are in the DOM. Records keep their object while they
            change (useRecords), so an update doesn't remount the row and steal focus or close an open editor. */}
        <VirtualList
          items={visible()}
          live={items().live}
          key={(r) => r.id}
          estimate={96}
          aria-label="Inbox items"
          data-testid="inbox-list"
        >
          {(item, index) => <InboxRow item={item} onTag={setTag} index={index()} size={visible().length} />}
        </VirtualList>
      </Show>
    </Screen>
  );
}

function InboxRow(props: { item: InboxItem; onTag: (t: string) => void; index: number; size: number }) {
  const store = useSync();
  const editor = createDisclosure();
  const backToList = () => document.getElementById("inbox-title")?.focus();

  return (
    <li
      class="card item"
      data-done={props.item.done_at ? "true" : undefined}
      data-index={props.index}
      aria-posinset={props.index + 1}
      aria-setsize={props.size}
    >
      <Show
        when={editor.isOpen()}
        fallback={
          <>
            <input
              type="checkbox"
              class="item-check"
              id={`done-${props.item.id}`}
              checked={!!props.item.done_at}
              aria-label={`Done: ${props.item.title}`}
              onChange={(e) => void setInboxState(store, props.item, { done: e.currentTarget.checked })}
            />
            <div class="item-main">
              <h2 class="item-title">{props.item.title}</h2>
              <Show when={props.item.description}>
                <p class="item-desc">{props.item.description}</p>
              </Show>
              <div class="item-meta">
                <TagList tags={props.item.tags} onTag={props.onTag} />
                <time class="muted small" datetime={props.item.created_at}>
                  {relative(props.item.created_at)}
                </time>
              </div>
            </div>
            <div class="item-actions wrap">
              <button type="button" class="ghost" ref={editor.opener} onClick={editor.open}>
                Edit<span class="sr-only"> “{props.item.title}”</span>
              </button>
              <button
                type="button"
                class="ghost"
                onClick={() => {
                  void setInboxState(store, props.item, { archived: !props.item.archived_at });
                  backToList();
                }}
              >
                {props.item.archived_at ? "Unarchive" : "Archive"}
                <span class="sr-only"> “{props.item.title}”</span>
              </button>
              <VersionsButton entity="inbox_item" id={props.item.id} title={props.item.title} />
              <ConfirmDelete
                what={`“${props.item.title}”`}
                onConfirm={() => {
                  void deleteInboxItem(store, props.item);
                  backToList();
                }}
              />
            </div>
          </>
        }
      >
        <EditForm item={props.item} onDone={editor.close} />
      </Show>
    </li>
  );
}

function EditForm(props: { item: InboxItem; onDone: () => void }) {
  const store = useSync();
  const [error, setError] = createSignal("");
  const id = props.item.id;

  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const title = String(form.get("title") ?? "").trim();
    const description = String(form.get("description") ?? "");
    const tags = parseTagList(String(form.get("tags") ?? ""));
    if (!title) {
      setError("A title is required.");
      return;
    }
    const it = props.item;
    const patch = {
      ...(title !== it.title ? { title } : {}),
      ...(description !== it.description ? { description } : {}),
      ...(tags.join(" ") !== it.tags.join(" ") ? { tags } : {}),
    };
    if (Object.keys(patch).length) void updateInboxItem(store, it, patch);
    props.onDone();
  };

  return (
    <form class="stack edit" onSubmit={save} onKeyDown={(e) => e.key === "Escape" && props.onDone()}>
      <Field for={`title-${id}`} label="Title">
        <input
          id={`title-${id}`}
          name="title"
          required
          maxlength={LIMITS.inbox.title}
          value={props.item.title}
          ref={(el) => queueMicrotask(() => el.focus())}
        />
      </Field>
      <Field for={`desc-${id}`} label="Description">
        <textarea
          id={`desc-${id}`}
          name="description"
          rows={3}
          maxlength={LIMITS.inbox.description}
          value={props.item.description}
        />
      </Field>
      <TagsField id={`tags-${id}`} name="tags" tags={props.item.tags} />
      <p class="field-error" role="alert">
        {error()}
      </p>
      <div class="row">
        <FormButtons submit="Save" onCancel={props.onDone} />
      </div>
    </form>
  );
}
