// #/assistant and #/assistant/<conversation id>: the conversation list, the
// selected thread (its state comes from the server's state machine) and the
// todos the assistant works on. Loaded lazily: none of it is in the initial bundle.
import { createMemo, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { describeError } from "../../api/http.ts";
import type { Conversation } from "../../api/types.ts";
import { createConversation } from "../../mutations/assistant.ts";
import { relative } from "../../ui/format.ts";
import { useRecords, useSync } from "../../ui/sync-context.ts";
import "./assistant.css";
import { STATUS_TEXT } from "./status.ts";
import { Thread } from "./Thread.tsx";
import { Todos } from "./Todos.tsx";
import { Screen } from "../../components/Screen.tsx";

const selectedFromHash = () => location.hash.replace(/^#\/?/, "").split("/")[1] ?? "";

export default function Assistant() {
  const conversations = useRecords("conversation");
  // A polling device may not have heard of a conversation started elsewhere yet: ask now.
  const store = useSync();
  // Until that pull lands, a polling device's list may still hold a conversation deleted elsewhere:
  // don't open one from it on its own (its state would be a 404) — a live device's list is current.
  const [fresh, setFresh] = createSignal(store.status().mode === "live");
  onMount(() => void store.pullNow().finally(() => setFresh(true)));
  const [picked, setPicked] = createSignal(selectedFromHash());
  const [error, setError] = createSignal("");
  const [creating, setCreating] = createSignal(false);
  const onHash = () => setPicked(selectedFromHash());
  window.addEventListener("hashchange", onHash);
  onCleanup(() => window.removeEventListener("hashchange", onHash));

  const sorted = createMemo(() => [...conversations()].sort((a, b) => b.updated_at.localeCompare(a.updated_at)));
  // The one in the address, else the most recently active one.
  const selected = createMemo(() => picked() || (fresh() ? sorted()[0]?.id : "") || "");

  const made = new Set<string>();
  const start = async () => {
    // An untouched conversation is already open: use it rather than pile up empty ones
    // (also one this screen just made, before the feed has brought its record).
    const current = sorted().find((c) => c.id === selected());
    const untouched = current ? current.version === 1 && current.status === "idle" : made.has(selected());
    if (untouched) {
      document.querySelector<HTMLElement>(".composer textarea")?.focus();
      return;
    }
    setCreating(true);
    setError("");
    try {
      const c = await createConversation();
      made.add(c.id);
      store.pullNow(); // into the list now, not at the next poll
      location.hash = `#/assistant/${c.id}`;
    } catch (err) {
      setError(describeError(err));
    } finally {
      setCreating(false);
    }
  };

  return (
    <Screen
      id="assistant-title"
      title="Assistant"
      class="assistant"
      actions={
        <button type="button" class="primary" disabled={creating()} onClick={() => void start()}>
          New conversation
        </button>
      }
    >
      <p class="form-error" role="alert">
        {error()}
      </p>
      <div class="assistant-grid">
        <nav class="conversations card" aria-label="Conversations">
          <h2 class="panel-title">Conversations</h2>
          <Show
            when={sorted().length}
            fallback={<p class="muted small">None yet. Start one to talk to the assistant.</p>}
          >
            <ul role="list">
              <For each={sorted()}>{(c) => <ConversationLink conversation={c} current={c.id === selected()} />}</For>
            </ul>
          </Show>
        </nav>
        <Show
          when={selected()}
          keyed
          fallback={
            <div class="thread card empty">
              <p>Start a conversation, then try “add todo buy milk”, “list todos” or “focus 25”.</p>
            </div>
          }
        >
          {(id) => <Thread id={id} />}
        </Show>
        <Todos />
      </div>
    </Screen>
  );
}

function ConversationLink(props: { conversation: Conversation; current: boolean }) {
  return (
    <li>
      <a href={`#/assistant/${props.conversation.id}`} aria-current={props.current ? "page" : undefined}>
        <span class="conv-title">{props.conversation.title}</span>
        <span class="muted small">
          <span class="badge" data-status={props.conversation.status}>
            {STATUS_TEXT[props.conversation.status]}
          </span>{" "}
          {relative(props.conversation.updated_at)}
        </span>
      </a>
    </li>
  );
}
