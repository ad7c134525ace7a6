// The loop editor: name, bars, tempo, colour, a chord per bar or per beat
// (root + quality pickers), the icon sequence, sharing; play what is on screen.
import { createMemo, createResource, createSignal, For, Index, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import { api } from "../../api/http.ts";
import type { Loop, User } from "../../api/types.ts";
import { renderPattern } from "../../audio/loop-engine.ts";
import { BEATS_PER_BAR, ICON_SOUNDS, ICONS, loopPattern, QUALITIES, ROOTS } from "../../audio/pattern.ts";
import { encodeWav } from "../../audio/wav.ts";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { createLoop, deleteLoop, updateLoop } from "../../mutations/studio.ts";
import { useSync } from "../../ui/sync-context.ts";
import { Counters, countPlay, PlayButton, RemixOf } from "./common.tsx";
import { usePlayer } from "./player.ts";
import { ErrorAlert } from "../../components/ErrorAlert.tsx";

const L = LIMITS.loop;
const BARS = L.bars;
const MAX_ICONS = L.icons;
type Slot = { root: string; quality: string };
const parse = (c: string): Slot => {
  const m = /^([A-G][#b]?)(.*)$/.exec(c);
  return { root: m?.[1] ?? "", quality: m?.[2] ?? "" };
};

export function LoopEditor(props: {
  user: User;
  loop: Loop | undefined;
  onSaved: (id: string) => void;
  onClose: () => void;
}) {
  const store = useSync();
  const l = props.loop;
  const [name, setName] = createSignal(l?.name ?? "New loop");
  const [bars, setBars] = createSignal<(typeof BARS)[number]>((l?.bars as (typeof BARS)[number]) ?? 2);
  const [bpm, setBpm] = createSignal(l?.bpm ?? 100);
  const [color, setColor] = createSignal(l?.color ?? "#4f6bd8");
  const initialPerBeat = !!l && l.chord_progression.length > l.bars;
  const [perBeat, setPerBeat] = createSignal(initialPerBeat);
  // Slots hold up to 8 bars × 4 beats; an empty slot holds the chord before it.
  const [slots, setSlots] = createSignal<Slot[]>(
    Array.from({ length: 32 }, (_, i) => parse(l?.chord_progression[i] ?? (l ? "" : (["Am", "F", "C", "G"][i] ?? "")))),
  );
  const [icons, setIcons] = createSignal<string[]>(l?.icon_sequence ?? ["🥁", "🎩", "👏", "🎩"]);
  const [visibility, setVisibility] = createSignal(l?.visibility ?? "private");
  const [remixable, setRemixable] = createSignal(l?.remixable ?? false);
  const [error, setError] = createSignal("");

  // The step playing now, when this editor's Play is what plays: one step per eighth note, repeating.
  const player = usePlayer();
  const activeStep = () => {
    const beat = player.beat();
    if (player.playing() !== `editor-${props.loop?.id ?? "new"}` || beat === null || !icons().length) return -1;
    return Math.floor(beat * 2) % icons().length;
  };
  const slotCount = () => (perBeat() ? bars() * BEATS_PER_BAR : bars());
  const chords = createMemo(() => {
    const out: string[] = [];
    let last = "";
    for (const s of slots().slice(0, slotCount())) {
      last = s.root ? s.root + s.quality : last;
      out.push(last);
    }
    // Leading empty slots: nothing to hold yet; drop the whole progression if nothing was picked.
    return out.some(Boolean) ? out.map((c) => c || out.find(Boolean)!) : [];
  });
  const draft = createMemo(() => ({
    name: name().trim(),
    bars: bars(),
    bpm: bpm(),
    color: color(),
    chord_progression: chords(),
    icon_sequence: icons(),
    visibility: visibility(),
    remixable: remixable(),
  }));
  const preview = (): Loop => ({
    ...(props.loop ?? ({} as Loop)),
    ...draft(),
  });

  const [lineage] = createResource(
    () => props.loop?.parent_loop_id,
    () =>
      api<{ items: Loop[] }>(`/api/studio/loops/${encodeURIComponent(props.loop!.id)}/lineage`)
        .then((r) => r.items)
        .catch(() => [] as Loop[]),
  );
  const parentOwner = () => lineage()?.at(-1)?.owner.username ?? null;

  const setSlot = (i: number, patch: Partial<Slot>) =>
    setSlots((all) => all.map((s, j) => (j === i ? { ...s, ...patch } : s)));

  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const d = draft();
    const problem = !d.name
      ? "Give the loop a name."
      : d.bpm < 40 || d.bpm > 300 || !Number.isInteger(d.bpm)
        ? `Tempo is ${L.minBpm}–${L.maxBpm} bpm.`
        : "";
    setError(problem);
    if (problem) return;
    if (props.loop) void updateLoop(store, props.loop, d);
    else props.onSaved(createLoop(store, props.user, d));
  };

  /** The same schedule the player runs, rendered offline: a WAV of one pass. */
  const download = async () => {
    const wav = encodeWav(await renderPattern(loopPattern(preview()), 1));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(wav);
    a.download = `${name().trim() || "loop"}.wav`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const idp = props.loop?.id ?? "new";
  return (
    <section class="card stack loop-editor" aria-labelledby={`editor-${idp}`} data-testid="loop-editor">
      <div class="row wrap">
        <h2 id={`editor-${idp}`} class="grow">
          {props.loop ? `Edit “${props.loop.name}”` : "New loop"}
        </h2>
        <PlayButton
          id={`editor-${idp}`}
          name={name()}
          pattern={() => loopPattern(preview())}
          onPlay={() => props.loop && countPlay(props.loop.id)}
        />
        <button type="button" class="ghost" onClick={() => void download()}>
          Download WAV
        </button>
        <button type="button" class="ghost" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <Show when={props.loop}>
        {(loop) => (
          <>
            <RemixOf username={parentOwner()} ownerDeleted={props.loop?.parent_owner_deleted ?? false} />
            <Counters loop={loop()} />
          </>
        )}
      </Show>
      <form class="stack" onSubmit={save}>
        <div class="studio-fields">
          <div class="field">
            <label for={`name-${idp}`}>Name</label>
            <input
              id={`name-${idp}`}
              required
              maxlength={L.name}
              value={name()}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for={`bars-${idp}`}>Bars</label>
            <select id={`bars-${idp}`} value={bars()} onChange={(e) => setBars(Number(e.currentTarget.value) as 1)}>
              <For each={BARS}>{(b) => <option value={b}>{b}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for={`bpm-${idp}`}>Tempo (bpm)</label>
            <input
              id={`bpm-${idp}`}
              type="number"
              min={L.minBpm}
              max={L.maxBpm}
              step={1}
              required
              value={bpm()}
              onInput={(e) => setBpm(e.currentTarget.valueAsNumber)}
            />
          </div>
          <div class="field">
            <label for={`color-${idp}`}>Colour</label>
            <input id={`color-${idp}`} type="color" value={color()} onInput={(e) => setColor(e.currentTarget.value)} />
          </div>
        </div>

        <fieldset class="stack">
          <legend>Chords</legend>
          <div class="segmented" role="group" aria-label="One chord per">
            <button type="button" aria-pressed={!perBeat()} onClick={() => setPerBeat(false)}>
              Per bar
            </button>
            <button type="button" aria-pressed={perBeat()} onClick={() => setPerBeat(true)}>
              Per beat
            </button>
          </div>
          <ol class="chord-grid" role="list">
            <Index each={slots().slice(0, slotCount())}>
              {(slot, i) => {
                const label = () => (perBeat() ? `Bar ${Math.floor(i / 4) + 1} beat ${(i % 4) + 1}` : `Bar ${i + 1}`);
                return (
                  <li class="chord-slot">
                    <span class="small muted" aria-hidden="true">
                      {label()}
                    </span>
                    <select
                      aria-label={`${label()} root`}
                      value={slot().root}
                      onChange={(e) => setSlot(i, { root: e.currentTarget.value })}
                    >
                      <option value="">–</option>
                      <For each={ROOTS}>{(r) => <option value={r}>{r}</option>}</For>
                    </select>
                    <select
                      aria-label={`${label()} quality`}
                      value={slot().quality}
                      disabled={!slot().root}
                      onChange={(e) => setSlot(i, { quality: e.currentTarget.value })}
                    >
                      <For each={QUALITIES}>{(q) => <option value={q}>{q || "maj"}</option>}</For>
                    </select>
                  </li>
                );
              }}
            </Index>
          </ol>
          <p class="small muted" data-testid="chord-summary">
            {chords().join(" ") || "No chords"}
          </p>
        </fieldset>

        <fieldset class="stack">
          <legend>Beat (one step per eighth note, repeating)</legend>
          <div class="row wrap" role="group" aria-label="Add a step">
            <For each={ICONS}>
              {(icon) => (
                <button
                  type="button"
                  class="ghost step-add"
                  disabled={icons().length >= MAX_ICONS}
                  onClick={() => setIcons((s) => [...s, icon])}
                >
                  +{" "}
                  <span class="step-icon" aria-hidden="true">
                    {icon}
                  </span>{" "}
                  Add {ICON_SOUNDS[icon]}
                </button>
              )}
            </For>
          </div>
          <ol class="step-grid" role="list" aria-label="Beat steps" data-testid="beat-steps">
            <Index each={icons()}>
              {(icon, i) => {
                const sound = () => ICON_SOUNDS[icon() as keyof typeof ICON_SOUNDS] ?? icon();
                return (
                  <li class="step" data-active={activeStep() === i ? "true" : undefined}>
                    <span class="step-number small muted" aria-hidden="true">
                      {i + 1}
                    </span>
                    <span class="step-name">
                      <span class="step-icon" aria-hidden="true">
                        {icon()}
                      </span>{" "}
                      {sound()}
                    </span>
                    <button
                      type="button"
                      class="ghost small step-remove"
                      onClick={() => setIcons((s) => s.filter((_, j) => j !== i))}
                    >
                      <span aria-hidden="true">×</span>
                      <span class="sr-only">
                        Remove step {i + 1} ({sound()})
                      </span>
                    </button>
                  </li>
                );
              }}
            </Index>
          </ol>
        </fieldset>

        <div class="row wrap">
          <label class="choice">
            <input
              type="checkbox"
              checked={visibility() === "public"}
              onChange={(e) => setVisibility(e.currentTarget.checked ? "public" : "private")}
            />
            Public (in the feed)
          </label>
          <label class="choice">
            <input type="checkbox" checked={remixable()} onChange={(e) => setRemixable(e.currentTarget.checked)} />
            Others may remix
          </label>
        </div>
        <ErrorAlert message={error()} />
        <div class="row wrap">
          <button type="submit" class="primary">
            {props.loop ? "Save loop" : "Create loop"}
          </button>
          <Show when={props.loop}>
            {(loop) => (
              <ConfirmDelete
                what={`loop “${loop().name}”`}
                onConfirm={() => {
                  void deleteLoop(store, loop());
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
