// #/libraries: focus libraries (favorites first) and, at #/libraries/<id>,
// one library's tracks in play order. Every change is a sync mutation.
import { createMemo, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import type { Audio, FocusLibrary, FocusTrack } from "../api/types.ts";
import { AudioPlayer, audioSrc } from "../components/AudioPlayer.tsx";
import { AudioFileSelect } from "../components/AudioFileSelect.tsx";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { Uploader } from "../components/Uploader.tsx";
import {
  addTrack,
  createLibrary,
  deleteLibrary,
  moveTrack,
  removeTrack,
  sortLibraries,
  toggleFavorite,
  tracksOf,
  updateLibrary,
} from "../mutations/libraries.ts";
import { clock } from "../ui/format.ts";
import { focusHeadingAfterNav } from "../ui/a11y.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";

/** The library id in `#/libraries/<id>`, if any. */
const readSubPath = () => location.hash.replace(/^#\/?/, "").split("/")[1] ?? "";

function useSubPath() {
  const read = readSubPath;
  const [sub, setSub] = createSignal(read());
  const update = () => setSub(read());
  window.addEventListener("hashchange", update);
  onCleanup(() => window.removeEventListener("hashchange", update));
  return sub;
}

export default function Libraries() {
  const sub = useSubPath();
  onMount(() => focusHeadingAfterNav(sub() ? "library-title" : "libraries-title"));
  return (
    <Show when={sub()} keyed fallback={<LibraryList />}>
      {(id) => <LibraryDetail id={id} />}
    </Show>
  );
}

/** "My song.mp3" → "My song". */
const baseName = (filename: string) => filename.replace(/\.[a-z0-9]{1,5}$/i, "");

// ---- list ----------------------------------------------------------------------

function LibraryList() {
  const store = useSync();
  const libraries = useRecords("focus_library");
  const tracks = useRecords("focus_track");
  const sorted = createMemo(() => sortLibraries(libraries()));
  const counts = createMemo(() => {
    const m = new Map<string, number>();
    for (const t of tracks()) m.set(t.library_id, (m.get(t.library_id) ?? 0) + 1);
    return m;
  });
  const [name, setName] = createSignal("");

  const create = (e: SubmitEvent) => {
    e.preventDefault();
    const n = name().trim();
    if (!n) return;
    createLibrary(store, { name: n });
    setName("");
  };

  return (
    <section aria-labelledby="libraries-title" class="stack">
      <header class="view-head">
        <h1 id="libraries-title" tabindex="-1">
          Libraries
        </h1>
      </header>
      <form class="card row wrap create-form" onSubmit={create}>
        <div class="field grow">
          <label for="new-library">New library</label>
          <input
            id="new-library"
            maxlength={200}
            required
            placeholder="e.g. Deep work"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary">
          Create library
        </button>
      </form>
      <Show
        when={sorted().length}
        fallback={
          <div class="empty card">
            <p>No libraries yet.</p>
            <p class="muted">
              A library is a playlist for focus sessions: upload audio or add links, then pick it in Focus.
            </p>
          </div>
        }
      >
        <ul class="list" role="list" aria-label="Libraries" data-testid="library-list">
          <For each={sorted()}>{(lib) => <LibraryRow lib={lib} count={counts().get(lib.id) ?? 0} />}</For>
        </ul>
      </Show>
    </section>
  );
}

function FavoriteButton(props: { lib: FocusLibrary }) {
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

function RenameForm(props: { lib: FocusLibrary; onDone: () => void }) {
  const store = useSync();
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget as HTMLFormElement).get("name") ?? "").trim();
    if (name && name !== props.lib.name) void updateLibrary(store, props.lib, { name });
    props.onDone();
  };
  return (
    <form class="row wrap grow" onSubmit={save} onKeyDown={(e) => e.key === "Escape" && props.onDone()}>
      <div class="field grow">
        <label for={`rename-${props.lib.id}`}>Library name</label>
        <input
          id={`rename-${props.lib.id}`}
          name="name"
          required
          maxlength={200}
          value={props.lib.name}
          ref={(el) => queueMicrotask(() => el.select())}
        />
      </div>
      <button type="submit" class="primary">
        Save
      </button>
      <button type="button" class="ghost" onClick={() => props.onDone()}>
        Cancel
      </button>
    </form>
  );
}

function LibraryRow(props: { lib: FocusLibrary; count: number }) {
  const store = useSync();
  const [editing, setEditing] = createSignal(false);
  let renameBtn: HTMLButtonElement | undefined;
  return (
    <li class="card item library-row" data-testid="library-row" data-library-id={props.lib.id}>
      <Show
        when={!editing()}
        fallback={
          <RenameForm
            lib={props.lib}
            onDone={() => {
              setEditing(false);
              queueMicrotask(() => renameBtn?.focus());
            }}
          />
        }
      >
        <div class="item-main row">
          <FavoriteButton lib={props.lib} />
          <div>
            <h2 class="item-title">
              <a href={`#/libraries/${props.lib.id}`}>{props.lib.name}</a>
            </h2>
            <p class="muted small">
              {props.count} {props.count === 1 ? "track" : "tracks"}
            </p>
          </div>
        </div>
        <div class="item-actions">
          <button type="button" class="ghost" ref={(el) => (renameBtn = el)} onClick={() => setEditing(true)}>
            Rename<span class="sr-only"> “{props.lib.name}”</span>
          </button>
          <ConfirmDelete
            what={`“${props.lib.name}”`}
            detail={props.count ? `and its ${props.count} ${props.count === 1 ? "track" : "tracks"}` : undefined}
            onConfirm={() => {
              void deleteLibrary(store, props.lib);
              document.getElementById("libraries-title")?.focus();
            }}
          />
        </div>
      </Show>
    </li>
  );
}

// ---- one library ---------------------------------------------------------------------

function LibraryDetail(props: { id: string }) {
  const store = useSync();
  const libraries = useRecords("focus_library");
  const allTracks = useRecords("focus_track");
  const audio = useRecords("audio");
  const lib = createMemo(() => libraries().find((l) => l.id === props.id));
  const tracks = createMemo(() => tracksOf(allTracks(), props.id));
  const audioById = createMemo(() => new Map(audio().map((a) => [a.id, a])));
  const [editing, setEditing] = createSignal(false);
  const [announce, setAnnounce] = createSignal("");

  const move = (track: FocusTrack, dir: -1 | 1) => {
    const from = tracks().findIndex((t) => t.id === track.id);
    const to = from + dir;
    if (from < 0 || to < 0 || to >= tracks().length) return;
    void moveTrack(store, track, from, to);
    setAnnounce(`Moved “${track.title}” to position ${to + 1} of ${tracks().length}.`);
    // The row's DOM node moves, which drops focus: put it back on the same button
    // (or its sibling when the track reached an end).
    queueMicrotask(() => {
      const row = document.querySelector(`[data-track-id="${track.id}"]`);
      const want = row?.querySelector<HTMLButtonElement>(dir < 0 ? ".move-up" : ".move-down");
      const other = row?.querySelector<HTMLButtonElement>(dir < 0 ? ".move-down" : ".move-up");
      (want && !want.disabled ? want : other)?.focus();
    });
  };

  return (
    <section aria-labelledby="library-title" class="stack">
      <p>
        <a href="#/libraries">← All libraries</a>
      </p>
      <Show
        when={lib()}
        fallback={
          <div class="empty card">
            <h1 id="library-title" tabindex="-1">
              Library not found
            </h1>
            <p class="muted">It may have been deleted on another device.</p>
          </div>
        }
      >
        {(l) => (
          <>
            <header class="view-head">
              <Show when={!editing()} fallback={<RenameForm lib={l()} onDone={() => setEditing(false)} />}>
                <div class="row">
                  <FavoriteButton lib={l()} />
                  <h1 id="library-title" tabindex="-1">
                    {l().name}
                  </h1>
                </div>
                <div class="row">
                  <button type="button" class="ghost" onClick={() => setEditing(true)}>
                    Rename
                  </button>
                  <ConfirmDelete
                    what={`“${l().name}”`}
                    detail={tracks().length ? `and its ${tracks().length} tracks` : undefined}
                    onConfirm={() => {
                      void deleteLibrary(store, l());
                      location.hash = "#/libraries";
                    }}
                  />
                </div>
              </Show>
            </header>

            <section aria-labelledby="tracks-title" class="stack">
              <h2 id="tracks-title">Tracks</h2>
              <p class="sr-only" aria-live="polite">
                {announce()}
              </p>
              <Show when={tracks().length} fallback={<p class="muted">No tracks yet. Add one below.</p>}>
                <ol class="list" role="list" aria-label="Tracks" data-testid="track-list">
                  <For each={tracks()}>
                    {(t, i) => (
                      <TrackRow
                        track={t}
                        index={i()}
                        count={tracks().length}
                        audio={t.audio_id ? audioById().get(t.audio_id) : undefined}
                        onMove={(dir) => move(t, dir)}
                      />
                    )}
                  </For>
                </ol>
              </Show>
            </section>

            <AddTrack libraryId={props.id} position={tracks().length} audio={audio()} />
          </>
        )}
      </Show>
    </section>
  );
}

function TrackRow(props: {
  track: FocusTrack;
  index: number;
  count: number;
  audio: Audio | undefined;
  onMove: (dir: -1 | 1) => void;
}) {
  const store = useSync();
  const t = () => props.track;
  const source = () => {
    if (t().url) {
      try {
        return new URL(t().url!).host;
      } catch {
        return t().url!;
      }
    }
    return props.audio?.filename ?? "Uploaded file";
  };
  return (
    <li class="card track-row" data-testid="track-row" data-track-id={t().id}>
      <div class="track-head">
        <span class="track-pos" aria-hidden="true">
          {props.index + 1}
        </span>
        <div class="item-main grow">
          <h3 class="item-title">{t().title}</h3>
          <p class="muted small">
            {source()}
            <Show when={t().duration_s ?? props.audio?.duration_s}>{(d) => ` · ${clock(d())}`}</Show>
          </p>
        </div>
        <div class="item-actions">
          <button type="button" class="ghost move-up" disabled={props.index === 0} onClick={() => props.onMove(-1)}>
            <span aria-hidden="true">↑</span>
            <span class="sr-only">Move “{t().title}” up</span>
          </button>
          <button
            type="button"
            class="ghost move-down"
            disabled={props.index === props.count - 1}
            onClick={() => props.onMove(1)}
          >
            <span aria-hidden="true">↓</span>
            <span class="sr-only">Move “{t().title}” down</span>
          </button>
          <button type="button" class="ghost danger" onClick={() => void removeTrack(store, t())}>
            Remove<span class="sr-only"> “{t().title}”</span>
          </button>
        </div>
      </div>
      <AudioPlayer src={audioSrc(t())} title={t().title} durationS={t().duration_s ?? props.audio?.duration_s} />
    </li>
  );
}

function AddTrack(props: { libraryId: string; position: number; audio: readonly Audio[] }) {
  const store = useSync();
  const [kind, setKind] = createSignal<"file" | "url">("file");
  const [title, setTitle] = createSignal("");
  const [audioId, setAudioId] = createSignal("");
  const [url, setUrl] = createSignal("");
  const [error, setError] = createSignal("");
  // A file uploaded here is listed at once, before the change feed brings its record.
  const [uploaded, setUploaded] = createSignal<Audio | null>(null);
  const files = createMemo(() => {
    const list = [...props.audio];
    const u = uploaded();
    if (u && !list.some((a) => a.id === u.id)) list.push(u);
    return list.sort((a, b) => b.created_at.localeCompare(a.created_at));
  });
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
      void addTrack(store, props.libraryId, { title: t.slice(0, 300), url: u }, props.position);
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
        <label class="choice">
          <input
            type="radio"
            name="track-source"
            value="file"
            checked={kind() === "file"}
            onChange={() => setKind("file")}
          />
          Uploaded file
        </label>
        <label class="choice">
          <input
            type="radio"
            name="track-source"
            value="url"
            checked={kind() === "url"}
            onChange={() => setKind("url")}
          />
          Link (URL)
        </label>
      </fieldset>
      <Show
        when={kind() === "file"}
        fallback={
          <div class="field">
            <label for="track-url">Track URL</label>
            <input
              id="track-url"
              type="url"
              inputmode="url"
              placeholder="https://…"
              maxlength={2048}
              value={url()}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </div>
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
      <div class="field">
        <label for="track-title">Title</label>
        <input
          id="track-title"
          maxlength={300}
          aria-describedby="track-title-hint"
          value={title()}
          onInput={(e) => setTitle(e.currentTarget.value)}
        />
        <p id="track-title-hint" class="hint">
          Optional: defaults to the file name.
        </p>
      </div>
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
