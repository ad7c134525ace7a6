import { createMemo, createSignal, For, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { InboxItem } from "../api/types.ts";
import { SHORTCUT } from "../components/Omnibar.tsx";
import { TagList } from "../components/TagList.tsx";
import { deleteInboxItem, updateInboxItem } from "../mutations/inbox.ts";
import { parseTagList } from "../ui/capture.ts";
import { createDisclosure } from "../ui/a11y.ts";
import { count, relative } from "../ui/format.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import { Screen } from "../components/Screen.tsx";
import { Field, FormButtons, TagsField } from "../components/fields.tsx";

export function Inbox() {
  const items = useRecords("inbox_item");
  const [tag, setTag] = createSignal("");

  const sorted = createMemo(() => [...items()].sort((a, b) => b.created_at.localeCompare(a.created_at)));
  const tagCounts = createMemo(() => {
    const counts = new Map<string, number>();
    for (const i of items()) for (const t of i.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts].sort((a, b) => a[0].localeCompare(b[0]));
  });
  const visible = createMemo(() => (tag() ? sorted().filter((i) => i.tags.includes(tag())) : sorted()));

  return (
    <Screen
      id="inbox-title"
      title="Inbox"
      actions={
        <div class="field inline">
          <label for="inbox-tag">Filter by tag</label>
          <select id="inbox-tag" value={tag()} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">All tags</option>
            <For each={tagCounts()}>{([t, n]) => <option value={t}>{`#${t} (${n})`}</option>}</For>
          </select>
        </div>
      }
    >
      <p class="muted" aria-live="polite">
        {tag()
          ? `${count(visible().length)} of ${count(items().length)} items tagged #${tag()}`
          : `${count(items().length)} items`}
      </p>

      <Show
        when={visible().length}
        fallback={
          <div class="empty card">
            <p>{tag() ? `Nothing tagged #${tag()}.` : "Nothing captured yet."}</p>
            <p class="muted">
              Press <kbd>{SHORTCUT}</kbd> anywhere, type, and hit Enter. Words like <code>#errands</code> become tags.
            </p>
          </div>
        }
      >
        <ul class="list" role="list">
          {/* Records keep their object while they change (useRecords), so an update doesn't
              remount the row and steal focus or close an open editor. */}
          <For each={visible()}>{(item) => <InboxRow item={item} onTag={setTag} />}</For>
        </ul>
      </Show>
    </Screen>
  );
}

function InboxRow(props: { item: InboxItem; onTag: (t: string) => void }) {
  const store = useSync();
  const editor = createDisclosure();

  return (
    <li class="card item">
      <Show
        when={editor.isOpen()}
        fallback={
          <>
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
            <div class="item-actions">
              <button type="button" class="ghost" ref={editor.opener} onClick={editor.open}>
                Edit<span class="sr-only"> “{props.item.title}”</span>
              </button>
              <button
                type="button"
                class="ghost danger"
                onClick={() => {
                  void deleteInboxItem(store, props.item);
                  document.getElementById("inbox-title")?.focus();
                }}
              >
                Delete<span class="sr-only"> “{props.item.title}”</span>
              </button>
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
