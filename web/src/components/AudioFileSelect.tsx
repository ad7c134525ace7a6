import { createMemo, createSignal, For } from "solid-js";
import type { Audio } from "../api/types.ts";

/**
 * The files a picker offers: the synced list, newest first, plus one just
 * uploaded here — listed at once, before the change feed brings its record.
 */
export function createFileChoices(synced: () => readonly Audio[]) {
  const [uploaded, setUploaded] = createSignal<Audio | null>(null);
  const files = createMemo(() => {
    const list = [...synced()];
    const u = uploaded();
    if (u && !list.some((a) => a.id === u.id)) list.push(u);
    return list.sort((a, b) => b.created_at.localeCompare(a.created_at));
  });
  return { files, setUploaded };
}

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
