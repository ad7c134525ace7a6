// The libraries screens' forms and toggles: favorite, rename, add a track.
import { createSignal, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { Audio, FocusLibrary } from "../../api/types.ts";
import { AudioFileSelect, createFileChoices } from "../../components/AudioFileSelect.tsx";
import { Uploader } from "../../components/Uploader.tsx";
import { addTrack, toggleFavorite, updateLibrary } from "../../mutations/libraries.ts";
import { useSync } from "../../ui/sync-context.ts";
import { Field, FormButtons, Radios } from "../../components/fields.tsx";

/** "My song.mp3" → "My song". */
const baseName = (filename: string) => filename.replace(/\.[a-z0-9]{1,5}$/i, "");

export function FavoriteButton(props: { lib: FocusLibrary }) {
  const store = useSync();
  return (
    <button
      type="button"
      class="ghost fav"
      aria-pressed={props.lib.favorite}
      onClick={() => void toggleFavorite(store, props.lib)}
    >
      <span aria-hidden="true">{props.lib.favorite ? "★" : "☆"}</span>
      <span class="sr-only">Favorite “{props.lib.name}”</span>
    </button>
  );
}

export function RenameForm(props: { lib: FocusLibrary; onDone: () => void }) {
  const store = useSync();
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget as HTMLFormElement).get("name") ?? "").trim();
    if (name && name !== props.lib.name) void updateLibrary(store, props.lib, { name });
    props.onDone();
  };
  return (
    <form class="row wrap grow" onSubmit={save} onKeyDown={(e) => e.key === "Escape" && props.onDone()}>
      <Field for={`rename-${props.lib.id}`} label="Library name" grow>
        <input
          id={`rename-${props.lib.id}`}
          name="name"
          required
          maxlength={LIMITS.library.name}
          value={props.lib.name}
          ref={(el) => queueMicrotask(() => el.select())}
        />
      </Field>
      <FormButtons submit="Save" onCancel={props.onDone} />
    </form>
  );
}

const SOURCES = [
  ["file", "Uploaded file"],
  ["url", "Link (URL)"],
] as const;

export function AddTrack(props: { libraryId: string; position: number; audio: readonly Audio[] }) {
  const store = useSync();
  const [kind, setKind] = createSignal<"file" | "url">("file");
  const [title, setTitle] = createSignal("");
  const [audioId, setAudioId] = createSignal("");
  const [url, setUrl] = createSignal("");
  const [error, setError] = createSignal("");
  const { files, setUploaded } = createFileChoices(() => props.audio);
  const chosen = () => files().find((a) => a.id === audioId());

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    setError("");
    if (kind() === "file") {
      const a = chosen();
      if (!a) {
        setError("Choose an uploaded file, or upload one first.");
        return;
      }
      const t = title().trim() || baseName(a.filename);
      void addTrack(store, props.libraryId, { title: t, audio_id: a.id, duration_s: a.duration_s }, props.position);
    } else {
      const u = url().trim();
      let ok = false;
      try {
        ok = /^https?:$/.test(new URL(u).protocol);
      } catch {
        ok = false;
      }
      if (!ok) {
        setError("Enter a full http:// or https:// address.");
        return;
      }
      const t = title().trim() || decodeURIComponent(new URL(u).pathname.split("/").pop() || new URL(u).host);
      void addTrack(store, props.libraryId, { title: t.slice(0, LIMITS.track.title), url: u }, props.position);
    }
    setTitle("");
    setUrl("");
    setAudioId("");
  };

  return (
    <form class="card stack" aria-labelledby="add-track-title" onSubmit={submit}>
      <h2 id="add-track-title">Add a track</h2>
      <fieldset class="row wrap plain">
        <legend class="sr-only">Source</legend>
        <Radios name="track-source" options={SOURCES} value={kind()} onChange={setKind} />
      </fieldset>
      <Show
        when={kind() === "file"}
        fallback={
          <Field for="track-url" label="Track URL">
            <input
              id="track-url"
              type="url"
              inputmode="url"
              placeholder="https://…"
              maxlength={LIMITS.url}
              value={url()}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </Field>
        }
      >
        <AudioFileSelect
          id="track-audio"
          files={files()}
          value={audioId()}
          emptyLabel={files().length ? "Choose a file…" : "No uploads yet"}
          onChange={setAudioId}
        />
        <Uploader
          id="track-upload"
          label="Upload a new file"
          multiple={false}
          onUploaded={(a) => {
            setUploaded(a);
            setAudioId(a.id);
            if (!title().trim()) setTitle(baseName(a.filename));
          }}
        />
      </Show>
      <Field for="track-title" label="Title">
        <input
          id="track-title"
          maxlength={LIMITS.track.title}
          aria-describedby="track-title-hint"
          value={title()}
          onInput={(e) => setTitle(e.currentTarget.value)}
        />
        <p id="track-title-hint" class="hint">
          Optional: defaults to the file name.
        </p>
      </Field>
      <p class="form-error" role="alert">
        {error()}
      </p>
      <div>
        <button type="submit" class="primary">
          Add track
        </button>
      </div>
    </form>
  );
}
