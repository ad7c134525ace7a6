// Saved focus lengths ("Deep work", 50 min) on the Focus screen: pick one to
// fill the minutes and choose its soundtrack, save the current length and
// soundtrack under a name, delete one (asked first). A declared record type,
// so its writes come from recordClient.
import { createMemo, createSignal, For, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { EntityMap } from "../api/types.ts";
import { recordClient } from "../mutations/record.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { chooseSoundtrack, soundtrackOfChoice } from "../components/soundtrack.ts";
import { ownedSoundscapes } from "./market/owned.ts";

type FocusPreset = EntityMap["focus_preset"];
const presets = recordClient("focus_preset", "/api/focus/presets", { noun: "preset", title: (p) => p.name });

export default function FocusPresets(props: { minutes: number; onPick: (preset: FocusPreset) => void }) {
  const store = useSync();
  const all = useRecords("focus_preset");
  const libraries = useRecords("focus_library");
  const purchases = useRecords("market_purchase");
  const owned = createMemo(() => ownedSoundscapes(purchases()));
  const pick = (p: FocusPreset) => {
    chooseSoundtrack(p, {
      library: (id) => libraries().some((l) => l.id === id),
      soundscape: (kind) => owned().some((s) => s.sound === kind),
    });
    props.onPick(p);
  };
  const soundtrackName = (p: FocusPreset) =>
    (p.library_id && libraries().find((l) => l.id === p.library_id)?.name) ||
    (p.soundscape && owned().find((s) => s.sound === p.soundscape)?.name) ||
    "";
  const sorted = () => [...all()].sort((a, b) => a.minutes - b.minutes || a.name.localeCompare(b.name));
  const [name, setName] = createSignal("");
  const { minDurationS, maxDurationS } = LIMITS.focus;
  const ready = () => name().trim() !== "" && props.minutes >= minDurationS / 60 && props.minutes <= maxDurationS / 60;

  const save = () => {
    if (!ready()) return;
    void presets.create(store, { name: name().trim(), minutes: props.minutes, ...soundtrackOfChoice() });
    setName("");
  };

  return (
    <section class="stack" aria-labelledby="focus-presets-title">
      <h3 id="focus-presets-title">Your presets</h3>
      <Show when={sorted().length} fallback={<p class="small muted">Save a length you come back to.</p>}>
        <ul class="list" role="list">
          <For each={sorted()}>
            {(p) => (
              <li class="row wrap">
                <button type="button" class="chip" onClick={() => pick(p)}>
                  {p.name} · {p.minutes} min{soundtrackName(p) ? ` · ${soundtrackName(p)}` : ""}
                </button>
                <ConfirmDelete what={`preset “${p.name}”`} onConfirm={() => void presets.remove(store, p)} />
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="row wrap">
        <label class="sr-only" for="focus-preset-name">
          Preset name
        </label>
        <input
          id="focus-preset-name"
          type="text"
          placeholder="Preset name"
          maxlength={LIMITS.focusPreset.name}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          // Enter saves the preset here; it must not submit the start form around it.
          onKeyDown={(e) => {
            if (e.key !== "Enter") return;
            e.preventDefault();
            save();
          }}
        />
        <button type="button" disabled={!ready()} onClick={save}>
          Save {props.minutes} min as preset
        </button>
      </div>
    </section>
  );
}
