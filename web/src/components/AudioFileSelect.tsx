import { For } from "solid-js";
import type { Audio } from "../api/types.ts";

/** A labelled picker over the user's uploaded audio files; "" means none chosen. */
export function AudioFileSelect(props: {
  id: string;
  files: readonly Audio[];
  value: string;
  emptyLabel: string;
  onChange: (audioId: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>Audio file</label>
      <select id={props.id} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="" selected={!props.value}>
          {props.emptyLabel}
        </option>
        <For each={props.files}>
          {(a) => (
            <option value={a.id} selected={a.id === props.value}>
              {a.filename}
            </option>
          )}
        </For>
      </select>
    </div>
  );
}
