import { createMemo, createSignal, For, onCleanup, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import { createInboxItem } from "../mutations/inbox.ts";
import { parseCapture } from "../ui/capture.ts";
import { isMac } from "../ui/format.ts";
import { useSync } from "../ui/sync-context.ts";

export const SHORTCUT = isMac ? "⌘K" : "Ctrl K";

/** Quick capture, in the header of every screen; Ctrl/Cmd-K focuses it from anywhere. */
export function Omnibar() {
  const store = useSync();
  const [text, setText] = createSignal("");
  const [error, setError] = createSignal("");
  const parsed = createMemo(() => parseCapture(text()));
  let input: HTMLInputElement | undefined;

  const onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
      e.preventDefault();
      input?.focus();
      input?.select();
    }
  };
  window.addEventListener("keydown", onKey);
  onCleanup(() => window.removeEventListener("keydown", onKey));

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    const { title, tags } = parsed();
    if (!title) {
      setError(tags.length ? "Add some words besides the tags." : "Type something to capture.");
      return;
    }
    if (title.length > LIMITS.inbox.title) {
      setError(`Keep it under ${LIMITS.inbox.title} characters — add detail in the description later.`);
      return;
    }
    setError("");
    void createInboxItem(store, { title, tags });
    setText(""); // the undo notice says "Captured “…”." (once: this form has no status of its own)
  };

  return (
    <form class="omnibar" onSubmit={submit} aria-label="Quick capture">
      <label for="omnibar-input" class="sr-only">
        Capture to inbox
      </label>
      <div class="omnibar-field">
        <input
          id="omnibar-input"
          ref={(el) => (input = el)}
          type="text"
          autocomplete="off"
          enterkeyhint="done"
          placeholder="Capture a thought… #tags"
          aria-describedby="omnibar-hint omnibar-error"
          aria-invalid={error() ? "true" : undefined}
          aria-keyshortcuts={isMac ? "Meta+K" : "Control+K"}
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setError("");
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              if (text()) setText("");
              else e.currentTarget.blur();
            }
          }}
        />
        <kbd class="omnibar-kbd" aria-hidden="true">
          {SHORTCUT}
        </kbd>
        <button type="submit">Add</button>
      </div>
      <p id="omnibar-hint" class="sr-only">
        Words starting with # become tags. Press {SHORTCUT} from anywhere to come back here.
      </p>
      <Show when={parsed().tags.length}>
        <ul class="tags preview" aria-label="Tags to add">
          <For each={parsed().tags}>{(t) => <li class="tag">#{t}</li>}</For>
        </ul>
      </Show>
      <p id="omnibar-error" class="field-error" role="alert">
        {error()}
      </p>
    </form>
  );
}
