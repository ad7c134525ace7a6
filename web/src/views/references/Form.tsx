// Create or edit a reference, with an optional recording (pick or upload).
import { createSignal, For } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { Audio, Reference } from "../../api/types.ts";
import { AudioFileSelect, createFileChoices } from "../../components/AudioFileSelect.tsx";
import { Uploader } from "../../components/Uploader.tsx";
import { createReference, updateReference, type ReferenceInput } from "../../mutations/references.ts";
import { parseTagList } from "../../ui/capture.ts";
import { useSync } from "../../ui/sync-context.ts";
import { Field, FormButtons, TagsField } from "../../components/fields.tsx";

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
  const { files, setUploaded } = createFileChoices(() => props.audio);

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
      <Field for={`ref-title-${p}`} label="Title">
        <input
          id={`ref-title-${p}`}
          name="title"
          required
          maxlength={LIMITS.reference.title}
          value={r?.title ?? ""}
          ref={(el) => queueMicrotask(() => el.focus())}
        />
      </Field>
      <Field for={`ref-content-${p}`} label="Content">
        <textarea
          id={`ref-content-${p}`}
          name="content"
          rows={4}
          maxlength={LIMITS.reference.content}
          value={r?.content ?? ""}
        />
      </Field>
      <div class="row wrap">
        <Field for={`ref-url-${p}`} label="Link (optional)" grow>
          <input
            id={`ref-url-${p}`}
            name="url"
            type="url"
            inputmode="url"
            placeholder="https://…"
            maxlength={LIMITS.url}
            value={r?.url ?? ""}
          />
        </Field>
        <Field for={`ref-cat-${p}`} label="Category (optional)">
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
        </Field>
      </div>
      <TagsField id={`ref-tags-${p}`} name="tags" tags={r?.tags ?? []} />
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
        <FormButtons submit={r ? "Save" : "Create reference"} onCancel={props.onDone} />
      </div>
    </form>
  );
}
