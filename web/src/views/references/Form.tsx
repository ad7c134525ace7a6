// Create or edit a reference, with an optional recording (pick or upload).
import { createMemo, createSignal, For } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { Audio, Reference } from "../../api/types.ts";
import { AudioFileSelect } from "../../components/AudioFileSelect.tsx";
import { Uploader } from "../../components/Uploader.tsx";
import { createReference, updateReference, type ReferenceInput } from "../../mutations/references.ts";
import { parseTagList } from "../../ui/capture.ts";
import { useSync } from "../../ui/sync-context.ts";

function isHttpUrl(u: string): boolean {
  try {
    return /^https?:$/.test(new URL(u).protocol);
  } catch {
    return false;
  }
}

export function ReferenceForm(props: {
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
          maxlength={LIMITS.reference.title}
          value={r?.title ?? ""}
          ref={(el) => queueMicrotask(() => el.focus())}
        />
      </div>
      <div class="field">
        <label for={`ref-content-${p}`}>Content</label>
        <textarea
          id={`ref-content-${p}`}
          name="content"
          rows={4}
          maxlength={LIMITS.reference.content}
          value={r?.content ?? ""}
        />
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
            maxlength={LIMITS.url}
            value={r?.url ?? ""}
          />
        </div>
        <div class="field">
          <label for={`ref-cat-${p}`}>Category (optional)</label>
          <input
            id={`ref-cat-${p}`}
            name="category"
            maxlength={LIMITS.reference.category}
            list={`ref-cats-${p}`}
            value={r?.category ?? ""}
          />
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
          Separate with spaces or commas, up to {LIMITS.tagsPerRecord}.
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
