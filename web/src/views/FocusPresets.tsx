// Saved focus lengths ("Deep work", 50 min) on the Focus screen: pick one to
// fill the minutes, save the current length under a name, delete one (asked
// first). A declared record type, so its writes come from recordClient.
import { createSignal, For, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { EntityMap } from "../api/types.ts";
import { recordClient } from "../mutations/record.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";

type FocusPreset = EntityMap["focus_preset"];
const presets = recordClient("focus_preset", "/api/focus/presets", { noun: "preset", title: (p) => p.name });

export default function FocusPresets(props: { minutes: number; onPick: (preset: FocusPreset) => void }) {
  const store = useSync();
  const all = useRecords("focus_preset");
  const sorted = () => [...all()].sort((a, b) => a.minutes - b.minutes || a.name.localeCompare(b.name));
  const [name, setName] = createSignal("");
  const { minDurationS, maxDurationS } = LIMITS.focus;
  const ready = () => name().trim() !== "" && props.minutes >= minDurationS / 60 && props.minutes <= maxDurationS / 60;

  const save = () => {
    if (!ready()) return;
    void presets.create(store, { name: name().trim(), minutes: props.minutes, soundscape: null, library_id: null });
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
                <button type="button" class="chip" onClick={() => props.onPick(p)}>
                  {p.name} · {p.minutes} min
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
