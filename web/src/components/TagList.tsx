import { For, Show } from "solid-js";

/** A record's tags as filter buttons: clicking one shows only records with that tag. */
export function TagList(props: { tags: readonly string[]; onTag: (tag: string) => void }) {
  return (
    <Show when={props.tags.length}>
      <ul class="tags" aria-label="Tags">
        <For each={props.tags}>
          {(t) => (
            <li>
              <button type="button" class="tag" onClick={() => props.onTag(t)}>
                #{t}
                <span class="sr-only"> — show only this tag</span>
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
