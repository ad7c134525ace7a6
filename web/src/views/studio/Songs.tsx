// Songs: own loops arranged on bars (start bar + repeats), played through.
import { createMemo, createSignal, For, Index, Show } from "solid-js";
import { DEFAULT_TIME_SIGNATURE, LIMITS, TIME_SIGNATURES, type TimeSignature } from "@protocol/rules.ts";
import type { Loop, Song } from "../../api/types.ts";
import { songPattern } from "../../audio/pattern.ts";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { createSong, deleteSong, updateSong } from "../../mutations/studio.ts";
import { useRecords, useSync } from "../../ui/sync-context.ts";
import { PlayButton } from "./common.tsx";

type Entry = Song["timeline"][number];

export function Songs() {
  const songs = useRecords("song");
  const loops = useRecords("loop");
  const sorted = createMemo(() => [...songs()].sort((a, b) => b.created_at.localeCompare(a.created_at)));
  const [open, setOpen] = createSignal<string | null>(null);
  const current = createMemo(() => sorted().find((s) => s.id === open()));
  return (
    <div class="studio-split">
      <section aria-labelledby="songs-title" class="stack">
        <div class="row wrap">
          <h2 id="songs-title" class="grow">
            Songs
          </h2>
          <button type="button" class="primary" onClick={() => setOpen("new")}>
            New song
          </button>
        </div>
        <Show
          when={sorted().length}
          fallback={<p class="empty card">No songs yet: arrange your loops on a timeline.</p>}
        >
          <ul class="list" role="list" aria-label="Songs">
            <For each={sorted()}>
              {(s) => (
                <li class="card item">
                  <button type="button" class="link" onClick={() => setOpen(s.id)}>
                    {s.title}
                  </button>
                  <span class="small muted">
                    {" "}
                    · {s.bpm} bpm · {s.time_signature} · {s.timeline.length}{" "}
                    {s.timeline.length === 1 ? "entry" : "entries"}
                  </span>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </section>
      <Show when={open() === "new" ? "new" : current() ? open() : null} keyed>
        {(id) => (
          <SongEditor
            song={id === "new" ? undefined : current()}
            loops={loops()}
            onSaved={(sid) => setOpen(sid)}
            onClose={() => setOpen(null)}
          />
        )}
      </Show>
    </div>
  );
}

function SongEditor(props: {
  song: Song | undefined;
  loops: readonly Loop[];
  onSaved: (id: string) => void;
  onClose: () => void;
}) {
  const store = useSync();
  const s = props.song;
  const [title, setTitle] = createSignal(s?.title ?? "New song");
  const [bpm, setBpm] = createSignal(s?.bpm ?? 100);
  const [sig, setSig] = createSignal<TimeSignature>(s?.time_signature ?? DEFAULT_TIME_SIGNATURE);
  const [timeline, setTimeline] = createSignal<Entry[]>(s?.timeline ?? []);
  const byId = createMemo(() => new Map(props.loops.map((l) => [l.id, l])));
  const totalBars = createMemo(() =>
    Math.max(4, ...timeline().map((e) => e.start_bar + (byId().get(e.loop_id)?.bars ?? 1) * e.repeat)),
  );
  const setEntry = (i: number, patch: Partial<Entry>) =>
    setTimeline((t) => t.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  const add = () => {
    const first = props.loops[0];
    if (!first) return;
    const end = Math.max(0, ...timeline().map((e) => e.start_bar + (byId().get(e.loop_id)?.bars ?? 1) * e.repeat));
    setTimeline((t) => [...t, { loop_id: first.id, start_bar: end, repeat: 1 }]);
  };
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const body = { title: title().trim() || "Untitled", bpm: bpm(), time_signature: sig(), timeline: timeline() };
    if (props.song) void updateSong(store, props.song, body);
    else props.onSaved(createSong(store, body));
  };
  const idp = props.song?.id ?? "new";
  return (
    <section class="card stack" aria-labelledby={`song-${idp}`}>
      <div class="row wrap">
        <h2 id={`song-${idp}`} class="grow">
          {props.song ? `Edit “${props.song.title}”` : "New song"}
        </h2>
        <PlayButton
          id={`song-${idp}`}
          name={title()}
          pattern={() => songPattern({ bpm: bpm(), time_signature: sig(), timeline: timeline() }, byId())}
        />
        <button type="button" class="ghost" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <form class="stack" onSubmit={save}>
        <div class="studio-fields">
          <div class="field">
            <label for={`stitle-${idp}`}>Title</label>
            <input
              id={`stitle-${idp}`}
              required
              maxlength={LIMITS.song.title}
              value={title()}
              onInput={(e) => setTitle(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for={`sbpm-${idp}`}>Tempo (bpm)</label>
            <input
              id={`sbpm-${idp}`}
              type="number"
              min={LIMITS.loop.minBpm}
              max={LIMITS.loop.maxBpm}
              value={bpm()}
              onInput={(e) => setBpm(e.currentTarget.valueAsNumber)}
            />
          </div>
          <div class="field">
            <label for={`ssig-${idp}`}>Time signature</label>
            <select id={`ssig-${idp}`} value={sig()} onChange={(e) => setSig(e.currentTarget.value as TimeSignature)}>
              <For each={TIME_SIGNATURES}>{(t) => <option value={t}>{t}</option>}</For>
            </select>
          </div>
        </div>
        <div class="timeline" aria-hidden="true" style={{ "--bars": totalBars() }}>
          <Index each={timeline()}>
            {(e) => {
              const loop = () => byId().get(e().loop_id);
              return (
                <span
                  class="timeline-block"
                  style={{
                    "grid-column": `${e().start_bar + 1} / span ${(loop()?.bars ?? 1) * e().repeat}`,
                    background: loop()?.color ?? "#888",
                  }}
                >
                  {loop()?.name ?? "?"}
                </span>
              );
            }}
          </Index>
        </div>
        <ol class="stack" role="list" aria-label="Timeline">
          <Index each={timeline()}>
            {(e, i) => (
              <li class="row wrap timeline-entry">
                <div class="field">
                  <label for={`tl-loop-${idp}-${i}`}>Loop {i + 1}</label>
                  <select
                    id={`tl-loop-${idp}-${i}`}
                    value={e().loop_id}
                    onChange={(ev) => setEntry(i, { loop_id: ev.currentTarget.value })}
                  >
                    <For each={props.loops}>{(l) => <option value={l.id}>{l.name}</option>}</For>
                  </select>
                </div>
                <div class="field">
                  <label for={`tl-start-${idp}-${i}`}>Start bar</label>
                  <input
                    id={`tl-start-${idp}-${i}`}
                    type="number"
                    min={0}
                    value={e().start_bar}
                    onInput={(ev) => setEntry(i, { start_bar: Math.max(0, ev.currentTarget.valueAsNumber || 0) })}
                  />
                </div>
                <div class="field">
                  <label for={`tl-rep-${idp}-${i}`}>Repeat</label>
                  <input
                    id={`tl-rep-${idp}-${i}`}
                    type="number"
                    min={1}
                    max={LIMITS.song.maxRepeat}
                    value={e().repeat}
                    onInput={(ev) =>
                      setEntry(i, {
                        repeat: Math.min(LIMITS.song.maxRepeat, Math.max(1, ev.currentTarget.valueAsNumber || 1)),
                      })
                    }
                  />
                </div>
                <button
                  type="button"
                  class="ghost danger"
                  onClick={() => setTimeline((t) => t.filter((_, j) => j !== i))}
                >
                  Remove<span class="sr-only"> loop {i + 1}</span>
                </button>
              </li>
            )}
          </Index>
        </ol>
        <div class="row wrap">
          <button
            type="button"
            onClick={add}
            disabled={!props.loops.length || timeline().length >= LIMITS.song.timeline}
          >
            Add a loop
          </button>
          <button type="submit" class="primary">
            {props.song ? "Save song" : "Create song"}
          </button>
          <Show when={props.song}>
            {(song) => (
              <ConfirmDelete
                what={`song “${song().title}”`}
                onConfirm={() => {
                  void deleteSong(store, song());
                  props.onClose();
                }}
              />
            )}
          </Show>
        </div>
      </form>
    </section>
  );
}
