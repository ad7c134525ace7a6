// One library: its tracks in play order, reordering, the add-track form.
import { createMemo, createSignal, For, Show } from "solid-js";
import type { Audio, FocusTrack } from "../../api/types.ts";
import { AudioPlayer, audioSrc } from "../../components/AudioPlayer.tsx";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { LIMITS } from "@protocol/rules.ts";
import { Field, FormButtons } from "../../components/fields.tsx";
import { deleteLibrary, moveTrack, removeTrack, tracksOf, updateTrack } from "../../mutations/libraries.ts";
import { clock } from "../../ui/format.ts";
import { useRecords, useSync } from "../../ui/sync-context.ts";
import { AddTrack, FavoriteButton, RenameForm } from "./Form.tsx";

export function LibraryDetail(props: { id: string }) {
  const store = useSync();
  const libraries = useRecords("focus_library");
  const allTracks = useRecords("focus_track");
  const audio = useRecords("audio");
  const lib = createMemo(() => libraries().find((l) => l.id === props.id));
  const tracks = createMemo(() => tracksOf(allTracks(), props.id));
  const audioById = createMemo(() => new Map(audio().map((a) => [a.id, a])));
  const [editing, setEditing] = createSignal(false);
  const [announce, setAnnounce] = createSignal("");

  // Drag and drop by the row's handle (a pointer's shortcut; the ↑/↓ buttons
  // are the keyboard's way and announce the same).
  const [dragged, setDragged] = createSignal<string | null>(null);
  const [dropAt, setDropAt] = createSignal<number | null>(null);
  const drop = (to: number) => {
    const track = tracks().find((t) => t.id === dragged());
    const from = track ? tracks().indexOf(track) : -1;
    setDragged(null);
    setDropAt(null);
    if (!track || from === to) return;
    void moveTrack(store, track, from, to);
    setAnnounce(`Moved “${track.title}” to position ${to + 1} of ${tracks().length}.`);
  };

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
            <header class="view-head library-head">
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
                        drag={{
                          start: () => setDragged(t.id),
                          over: () => dragged() && setDropAt(i()),
                          drop: () => drop(i()),
                          end: () => (setDragged(null), setDropAt(null)),
                          target: () => dragged() !== null && dropAt() === i() && dragged() !== t.id,
                        }}
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
  drag: { start: () => void; over: () => void; drop: () => void; end: () => void; target: () => boolean };
}) {
  const store = useSync();
  const t = () => props.track;
  const [renaming, setRenaming] = createSignal(false);
  let renameButton: HTMLButtonElement | undefined;
  const doneRenaming = () => {
    setRenaming(false);
    queueMicrotask(() => renameButton?.focus()); // back where the keyboard was
  };
  const saveTitle = (e: SubmitEvent) => {
    e.preventDefault();
    const title = String(new FormData(e.currentTarget as HTMLFormElement).get("title") ?? "").trim();
    if (title && title !== t().title) void updateTrack(store, t(), { title });
    doneRenaming();
  };
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
    <li
      class="card track-row"
      data-testid="track-row"
      data-track-id={t().id}
      data-drop-target={props.drag.target() ? "true" : undefined}
      onDragOver={(e) => {
        e.preventDefault(); // allow dropping here
        props.drag.over();
      }}
      onDrop={(e) => {
        e.preventDefault();
        props.drag.drop();
      }}
    >
      <div class="track-head">
        <span
          class="drag-handle"
          draggable="true"
          aria-hidden="true"
          title="Drag to reorder"
          data-testid="drag-handle"
          onDragStart={(e) => {
            e.dataTransfer?.setData("text/plain", t().id);
            const row = e.currentTarget.closest("li");
            if (row) e.dataTransfer?.setDragImage(row, 16, 16);
            props.drag.start();
          }}
          onDragEnd={() => props.drag.end()}
        >
          ⠿
        </span>
        <span class="track-pos" aria-hidden="true">
          {props.index + 1}
        </span>
        <div class="item-main grow">
          <Show when={renaming()} fallback={<h3 class="item-title">{t().title}</h3>}>
            <form class="row wrap" onSubmit={saveTitle} onKeyDown={(e) => e.key === "Escape" && doneRenaming()}>
              <Field for={`track-title-${t().id}`} label="Track title" grow>
                <input
                  id={`track-title-${t().id}`}
                  name="title"
                  required
                  maxlength={LIMITS.track.title}
                  value={t().title}
                  ref={(el) => queueMicrotask(() => el.select())}
                />
              </Field>
              <FormButtons submit="Save" onCancel={doneRenaming} />
            </form>
          </Show>
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
          <button type="button" class="ghost" ref={(el) => (renameButton = el)} onClick={() => setRenaming(true)}>
            Rename<span class="sr-only"> “{t().title}”</span>
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
