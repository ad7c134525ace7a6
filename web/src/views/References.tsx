// #/references: notes, links and recordings. Search and filters run on this
// device over the synced cache (mutations/references.ts filterReferences, the same
// rules as GET /api/references), so they work offline and follow live changes.
import { createMemo, createSignal, For, onMount, Show } from "solid-js";
import type { Audio, Reference } from "../api/types.ts";
import { AudioPlayer } from "../components/AudioPlayer.tsx";
import { AudioFileSelect } from "../components/AudioFileSelect.tsx";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { TagList } from "../components/TagList.tsx";
import { Uploader } from "../components/Uploader.tsx";
import { parseTagList } from "../ui/capture.ts";
import {
  createReference,
  deleteReference,
  filterReferences,
  updateReference,
  type ReferenceInput,
} from "../mutations/references.ts";
import { relative } from "../ui/format.ts";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";

const PREVIEW = 280;

export default function References() {
  const refs = useRecords("reference");
  const audio = useRecords("audio");
  const [q, setQ] = createSignal("");
  const [category, setCategory] = createSignal("");
  const [tag, setTag] = createSignal("");
  const [archived, setArchived] = createSignal(false);
  const [creating, setCreating] = createSignal(false);
  let newButton: HTMLButtonElement | undefined;
  onMount(() => focusHeadingAfterNav("references-title"));

  const categories = createMemo(() =>
    [...new Set(refs().flatMap((r) => (r.category ? [r.category] : [])))].sort((a, b) => a.localeCompare(b)),
  );
  const tags = createMemo(() => [...new Set(refs().flatMap((r) => r.tags))].sort((a, b) => a.localeCompare(b)));
  const visible = createMemo(() =>
    filterReferences(refs(), { q: q(), category: category(), tag: tag(), archived: archived() }),
  );
  const audioById = createMemo(() => new Map(audio().map((a) => [a.id, a])));
  const filtering = () => Boolean(q().trim() || category() || tag());

  const closeNew = () => {
    setCreating(false);
    queueMicrotask(() => newButton?.focus());
  };

  return (
    <section aria-labelledby="references-title" class="stack">
      <header class="view-head">
        <h1 id="references-title" tabindex="-1">
          References
        </h1>
        <Show when={!creating()}>
          <button type="button" class="primary" ref={(el) => (newButton = el)} onClick={() => setCreating(true)}>
            New reference
          </button>
        </Show>
      </header>

      <Show when={creating()}>
        <ReferenceForm audio={audio()} categories={categories()} onDone={closeNew} />
      </Show>

      <div class="card filters" role="search" aria-label="Filter references">
        <div class="field grow">
          <label for="ref-search">Search</label>
          <input
            id="ref-search"
            type="search"
            placeholder="Words in the title or text"
            value={q()}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="ref-category">Category</label>
          <select id="ref-category" value={category()} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">All categories</option>
            <For each={categories()}>{(c) => <option value={c}>{c}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="ref-tag">Tag</label>
          <select id="ref-tag" value={tag()} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">All tags</option>
            <For each={tags()}>{(t) => <option value={t}>#{t}</option>}</For>
          </select>
        </div>
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
        <ul class="list" role="list" aria-label="References" data-testid="reference-list">
          <For each={visible()}>
            {(r) => (
              <ReferenceRow
                item={r}
                audio={r.audio_id ? audioById().get(r.audio_id) : undefined}
                allAudio={audio()}
                categories={categories()}
                onTag={setTag}
                onCategory={setCategory}
              />
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

function ReferenceRow(props: {
  item: Reference;
  audio: Audio | undefined;
  allAudio: readonly Audio[];
  categories: string[];
  onTag: (t: string) => void;
  onCategory: (c: string) => void;
}) {
  const store = useSync();
  const r = () => props.item;
  const [editing, setEditing] = createSignal(false);
  const [expanded, setExpanded] = createSignal(false);
  let editButton: HTMLButtonElement | undefined;
  const long = () => r().content.length > PREVIEW;

  return (
    <li
      class="card stack reference-row"
      data-testid="reference-row"
      data-reference-id={r().id}
      data-pinned={r().pinned ? "" : undefined}
      data-archived={r().archived ? "" : undefined}
    >
      <Show
        when={!editing()}
        fallback={
          <ReferenceForm
            existing={r()}
            audio={props.allAudio}
            categories={props.categories}
            onDone={() => {
              setEditing(false);
              queueMicrotask(() => editButton?.focus());
            }}
          />
        }
      >
        <div class="item">
          <div class="item-main">
            <h2 class="item-title">
              <Show when={r().pinned}>
                <span class="badge pinned">Pinned</span>{" "}
              </Show>
              {r().title}
              <Show when={r().archived}>
                <span class="badge">Archived</span>
              </Show>
            </h2>
            <Show when={r().url}>
              <a class="small ref-url" href={r().url!} target="_blank" rel="noopener noreferrer">
                {r().url}
              </a>
            </Show>
            <Show when={r().content}>
              <p class="item-desc">{long() && !expanded() ? `${r().content.slice(0, PREVIEW)}…` : r().content}</p>
              <Show when={long()}>
                <div>
                  <button type="button" class="ghost small" onClick={() => setExpanded(!expanded())}>
                    {expanded() ? "Show less" : "Show all"}
                    <span class="sr-only"> of “{r().title}”</span>
                  </button>
                </div>
              </Show>
            </Show>
            <div class="item-meta">
              <Show when={r().category}>
                <button type="button" class="tag category" onClick={() => props.onCategory(r().category!)}>
                  {r().category}
                  <span class="sr-only"> — show only this category</span>
                </button>
              </Show>
              <TagList tags={r().tags} onTag={props.onTag} />
              <time class="muted small" datetime={r().updated_at}>
                {relative(r().updated_at)}
              </time>
            </div>
          </div>
          <div class="item-actions wrap">
            <button
              type="button"
              class="ghost"
              aria-pressed={r().pinned}
              onClick={() =>
                void updateReference(
                  store,
                  r(),
                  { pinned: !r().pinned },
                  `${r().pinned ? "Unpin" : "Pin"} “${r().title}”`,
                )
              }
            >
              Pin<span class="sr-only"> “{r().title}”</span>
            </button>
            <button
              type="button"
              class="ghost"
              onClick={() =>
                void updateReference(
                  store,
                  r(),
                  { archived: !r().archived },
                  `${r().archived ? "Unarchive" : "Archive"} “${r().title}”`,
                )
              }
            >
              {r().archived ? "Unarchive" : "Archive"}
              <span class="sr-only"> “{r().title}”</span>
            </button>
            <button type="button" class="ghost" ref={(el) => (editButton = el)} onClick={() => setEditing(true)}>
              Edit<span class="sr-only"> “{r().title}”</span>
            </button>
            <ConfirmDelete
              what={`“${r().title}”`}
              onConfirm={() => {
                void deleteReference(store, r());
                document.getElementById("references-title")?.focus();
              }}
            />
          </div>
        </div>
        <Show when={r().audio_id}>
          <AudioPlayer
            src={`/api/audio/${encodeURIComponent(r().audio_id!)}`}
            title={`Recording for “${r().title}”`}
            durationS={props.audio?.duration_s}
          />
        </Show>
      </Show>
    </li>
  );
}

function isHttpUrl(u: string): boolean {
  try {
    return /^https?:$/.test(new URL(u).protocol);
  } catch {
    return false;
  }
}

function ReferenceForm(props: {
  existing?: Reference;
  audio: readonly Audio[];
  categories: string[];
  onDone: () => void;
}) {
  const store = useSync();
  const r = props.existing;
  const p = r?.id ?? "new";
  const [error, setError] = createSignal("");
  const [audioId, setAudioId] = createSignal(r?.audio_id ?? "");
  // A file uploaded here is listed at once, before the change feed brings its record.
  const [uploaded, setUploaded] = createSignal<Audio | null>(null);
  const files = createMemo(() => {
    const list = [...props.audio];
    const u = uploaded();
    if (u && !list.some((a) => a.id === u.id)) list.push(u);
    return list.sort((a, b) => b.created_at.localeCompare(a.created_at));
  });

  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const title = String(f.get("title") ?? "").trim();
    const url = String(f.get("url") ?? "").trim();
    const input: ReferenceInput = {
      title,
      content: String(f.get("content") ?? ""),
      url: url || null,
      category: String(f.get("category") ?? "").trim() || null,
      tags: parseTagList(String(f.get("tags") ?? "")),
      pinned: f.get("pinned") === "on",
      archived: f.get("archived") === "on",
      audio_id: audioId() || null,
    };
    if (!title) {
      setError("A title is required.");
      return;
    }
    if (url && !isHttpUrl(url)) {
      setError("The link must be a full http:// or https:// address.");
      return;
    }
    if (!r) void createReference(store, input);
    else {
      const patch: Partial<ReferenceInput> = {};
      for (const k of Object.keys(input) as Array<keyof ReferenceInput>) {
        const same = k === "tags" ? input.tags.join(" ") === r.tags.join(" ") : input[k] === r[k];
        if (!same) (patch as Record<string, unknown>)[k] = input[k];
      }
      if (Object.keys(patch).length) void updateReference(store, r, patch);
    }
    props.onDone();
  };

  return (
    <form
      class="card stack edit"
      aria-label={r ? `Edit “${r.title}”` : "New reference"}
      onSubmit={save}
      onKeyDown={(e) => e.key === "Escape" && props.onDone()}
    >
      <div class="field">
        <label for={`ref-title-${p}`}>Title</label>
        <input
          id={`ref-title-${p}`}
          name="title"
          required
          maxlength={500}
          value={r?.title ?? ""}
          ref={(el) => queueMicrotask(() => el.focus())}
        />
      </div>
      <div class="field">
        <label for={`ref-content-${p}`}>Content</label>
        <textarea id={`ref-content-${p}`} name="content" rows={4} maxlength={100000} value={r?.content ?? ""} />
      </div>
      <div class="row wrap">
        <div class="field grow">
          <label for={`ref-url-${p}`}>Link (optional)</label>
          <input
            id={`ref-url-${p}`}
            name="url"
            type="url"
            inputmode="url"
            placeholder="https://…"
            maxlength={2048}
            value={r?.url ?? ""}
          />
        </div>
        <div class="field">
          <label for={`ref-cat-${p}`}>Category (optional)</label>
          <input id={`ref-cat-${p}`} name="category" maxlength={100} list={`ref-cats-${p}`} value={r?.category ?? ""} />
          <datalist id={`ref-cats-${p}`}>
            <For each={props.categories}>{(c) => <option value={c} />}</For>
          </datalist>
        </div>
      </div>
      <div class="field">
        <label for={`ref-tags-${p}`}>Tags</label>
        <input
          id={`ref-tags-${p}`}
          name="tags"
          aria-describedby={`ref-tags-hint-${p}`}
          value={(r?.tags ?? []).map((t) => `#${t}`).join(" ")}
        />
        <p id={`ref-tags-hint-${p}`} class="hint">
          Separate with spaces or commas, up to 20.
        </p>
      </div>
      <div class="row wrap">
        <label class="choice">
          <input type="checkbox" name="pinned" checked={r?.pinned ?? false} />
          Pinned
        </label>
        <label class="choice">
          <input type="checkbox" name="archived" checked={r?.archived ?? false} />
          Archived
        </label>
      </div>
      <fieldset class="stack plain">
        <legend>Recording (optional)</legend>
        <AudioFileSelect
          id={`ref-audio-${p}`}
          files={files()}
          value={audioId()}
          emptyLabel="None"
          onChange={setAudioId}
        />
        <Uploader
          id={`ref-upload-${p}`}
          label="Upload a recording"
          multiple={false}
          onUploaded={(a) => {
            setUploaded(a);
            setAudioId(a.id);
          }}
        />
      </fieldset>
      <p class="form-error" role="alert">
        {error()}
      </p>
      <div class="row">
        <button type="submit" class="primary">
          {r ? "Save" : "Create reference"}
        </button>
        <button type="button" class="ghost" onClick={() => props.onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
