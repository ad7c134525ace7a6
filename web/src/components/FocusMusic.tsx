// A focus session's soundtrack: pick a library, its tracks play in order (and
// loop) while the session runs; pausing the session — here or on another
// device — pauses the music, resuming resumes it.
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { FocusSession } from "../api/types.ts";
import type { SoundscapeKind } from "../audio/soundscapes.ts";
import { sortLibraries, tracksOf } from "../mutations/libraries.ts";
import { ownedSoundscapes } from "../views/market/owned.ts";
import { useRecords } from "../ui/sync-context.ts";
import { AudioPlayer, audioSrc } from "./AudioPlayer.tsx";
import { SoundscapePlayer } from "./SoundscapePlayer.tsx";
import { SOUND_PREFIX, setSoundtrackChoice as setLibraryId, soundtrackChoice as libraryId } from "./soundtrack.ts";

export default function FocusMusic(props: { session?: FocusSession }) {
  const libraries = useRecords("focus_library");
  const allTracks = useRecords("focus_track");
  const sorted = createMemo(() => sortLibraries(libraries()));
  const purchases = useRecords("market_purchase");
  const soundscapes = createMemo(() => ownedSoundscapes(purchases()));
  const soundscape = createMemo(() =>
    libraryId().startsWith(SOUND_PREFIX)
      ? soundscapes().find((s) => `${SOUND_PREFIX}${s.sound}` === libraryId())
      : undefined,
  );
  const library = createMemo(() => libraries().find((l) => l.id === libraryId()));
  const tracks = createMemo(() => (library() ? tracksOf(allTracks(), libraryId()) : []));
  const [index, setIndex] = createSignal(0);
  const [blocked, setBlocked] = createSignal(false);
  const current = createMemo(() => tracks()[Math.min(index(), Math.max(0, tracks().length - 1))]);
  let el: HTMLAudioElement | undefined;
  /** Whether the music should be playing (the session runs and the user hasn't paused it). */
  let wanted = true;
  // Media events arrive as tasks, possibly after the session ended and this unmounted.
  let live = true;
  onCleanup(() => (live = false));

  const play = () => {
    if (!el || !current()) return;
    el.play().then(
      () => setBlocked(false),
      (err: Error) => {
        // Autoplay without a recent click is refused: ask for one.
        if (err.name === "NotAllowedError") setBlocked(true);
      },
    );
  };

  const status = () => props.session?.status;
  // Session paused/resumed (here or elsewhere): follow it.
  createEffect(
    on(status, (s, prev) => {
      if (!el) return;
      if (s === "paused") {
        wanted = wanted && !el.paused;
        el.pause();
      } else if (s === "active" && prev === "paused" && wanted) play();
    }),
  );
  // A new library or track: start it if the session runs.
  createEffect(
    on(
      () => current()?.id,
      (id) => {
        if (id && status() === "active" && wanted) queueMicrotask(play);
      },
      { defer: false },
    ),
  );

  const next = () => {
    wanted = true;
    setIndex((i) => (tracks().length ? (i + 1) % tracks().length : 0));
  };

  return (
    <div class="focus-music stack" data-testid="focus-music">
      <div class="field">
        <label for={props.session ? "focus-library-running" : "focus-library"}>
          {props.session ? "Soundtrack" : "Soundtrack (optional)"}
        </label>
        <select
          id={props.session ? "focus-library-running" : "focus-library"}
          onChange={(e) => {
            wanted = true;
            setIndex(0);
            setLibraryId(e.currentTarget.value);
          }}
        >
          <option value="" selected={!libraryId()}>
            No music
          </option>
          <For each={sorted()}>
            {(l) => (
              <option value={l.id} selected={l.id === libraryId()}>
                {l.favorite ? "★ " : ""}
                {l.name}
              </option>
            )}
          </For>
          <Show when={soundscapes().length}>
            <optgroup label="Soundscapes (from the Market)">
              <For each={soundscapes()}>
                {(s) => (
                  <option value={`${SOUND_PREFIX}${s.sound}`} selected={`${SOUND_PREFIX}${s.sound}` === libraryId()}>
                    {s.name}
                  </option>
                )}
              </For>
            </optgroup>
          </Show>
        </select>
      </div>
      <Show when={props.session && soundscape()}>
        {(s) => (
          <SoundscapePlayer
            sound={s().sound as SoundscapeKind}
            name={s().name}
            running={props.session?.status === "active"}
          />
        )}
      </Show>
      <Show when={props.session && library()}>
        <Show
          when={current()}
          fallback={
            <p class="muted small">
              “{library()!.name}” has no tracks yet — add some in <a href={`#/libraries/${library()!.id}`}>Libraries</a>
              .
            </p>
          }
        >
          {(t) => (
            <div class="stack now-playing">
              <p class="small">
                <span class="muted">Now playing</span> {t().title}{" "}
                <span class="muted">
                  ({Math.min(index(), tracks().length - 1) + 1} of {tracks().length})
                </span>
              </p>
              <AudioPlayer
                src={audioSrc(t())}
                title={t().title}
                durationS={t().duration_s}
                audio={(a) => {
                  el = a;
                  a.addEventListener("pause", () => {
                    // The user paused it (not the session, not the track ending).
                    if (live && status() === "active" && !a.ended) wanted = false;
                  });
                  a.addEventListener("play", () => (wanted = true));
                }}
                onEnded={next}
              />
              <Show when={tracks().length > 1}>
                <div>
                  <button type="button" class="ghost" onClick={next}>
                    Next track
                  </button>
                </div>
              </Show>
              <Show when={blocked()}>
                <p class="small" role="status">
                  The browser blocked autoplay — press play to start the music.
                </p>
              </Show>
            </div>
          )}
        </Show>
      </Show>
    </div>
  );
}
