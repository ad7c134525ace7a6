// One conversation: its messages in order, tool calls as cards (pending ones
// with Approve and Deny), the status, and the composer. The state is the
// server's: fetched with If-None-Match, refreshed when the socket reports the
// conversation changed (desktop) or by polling with backoff (phone, and as a
// safety net), and replaced by the answer of our own actions.
import { createEffect, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import { describeError, HttpError } from "../../api/http.ts";
import type { ConversationState, StateMessage } from "../../api/types.ts";
import { approveTools, deleteConversation, fetchState, sendMessage, undoToolCall } from "../../mutations/assistant.ts";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { useRecords, useStatus, useSync } from "../../ui/sync-context.ts";
import { startPoller } from "./state-poller.ts";
import { CALL_TEXT, STATUS_TEXT, TOOL_TEXT, UNDONE_TEXT } from "./status.ts";
import { LIMITS } from "@protocol/rules.ts";

export function Thread(props: { id: string }) {
  const [state, setState] = createSignal<ConversationState | null>(null);
  const [error, setError] = createSignal("");
  const [sending, setSending] = createSignal(false);
  const [gone, setGone] = createSignal(false);
  const link = useStatus();
  const store = useSync();
  const conversations = useRecords("conversation");
  let etag: string | null = null;
  let input: HTMLTextAreaElement | undefined;

  const adopt = (s: ConversationState) => {
    const current = state();
    // Answers can arrive out of order (a poll and an action): keep the newest.
    if (current && current.conversation.version > s.conversation.version) return;
    setState(s);
    etag = `"${s.conversation.version}"`;
  };

  const poller = startPoller({
    fetch: async () => {
      try {
        const r = await fetchState(props.id, etag);
        if (r) etag = r.etag;
        return r?.state ?? null;
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) setGone(true);
        throw err;
      }
    },
    onState: adopt,
    busy: (s) => s.status === "running",
    hidden: () => document.visibilityState === "hidden",
    onVisibility: (fn) => {
      document.addEventListener("visibilitychange", fn);
      return () => document.removeEventListener("visibilitychange", fn);
    },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    // With a live socket, changes wake the thread; polling is only a safety net.
    maxMs: link().mode === "live" ? 60_000 : 30_000,
  });
  onCleanup(() => poller.stop());

  // A change of this conversation through the sync feed (another device approved, a run finished).
  createEffect(() => {
    const record = conversations().find((c) => c.id === props.id);
    const shown = state()?.conversation.version ?? 0;
    if (record && record.version > shown) poller.nudge();
  });

  const act = async (run: () => Promise<ConversationState>) => {
    setSending(true);
    setError("");
    try {
      adopt(await run());
      // What the action wrote (a todo, a focus session, this conversation's
      // place in the list) is in the feed now: fetch it here at once, not at
      // the next poll — other devices hear it over their sockets.
      store.pullNow();
    } catch (err) {
      setError(describeError(err));
      poller.nudge();
    } finally {
      setSending(false);
    }
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    const content = input?.value.trim() ?? "";
    if (!content) return;
    void act(async () => {
      const s = await sendMessage(props.id, content);
      if (input) input.value = "";
      return s;
    });
  };

  const decide = (m: StateMessage, approved: boolean) =>
    void act(() =>
      approveTools(props.id, [
        { tool_call_id: m.tool_call_id!, approved, ...(m.name && m.input ? { name: m.name, input: m.input } : {}) },
      ]),
    );

  const busy = () => sending() || (state()?.status ?? "idle") === "running" || state()?.status === "awaiting_approval";

  return (
    <div class="thread card" aria-labelledby="thread-title">
      <Show when={!gone()} fallback={<p class="muted">This conversation was deleted.</p>}>
        <header class="thread-head">
          <h2 id="thread-title" class="panel-title">
            {state()?.conversation.title ?? "Conversation"}
          </h2>
          <ConfirmDelete
            what="this conversation"
            onConfirm={() => {
              void deleteConversation(props.id)
                .then(() => {
                  store.pullNow();
                  location.hash = "#/assistant";
                })
                .catch((err: unknown) => setError(describeError(err)));
            }}
          />
          <p class="thread-status" role="status">
            <span class="badge" data-status={state()?.status}>
              {state() ? STATUS_TEXT[state()!.status] : "Loading…"}
            </span>
            <Show when={state()?.conversation.error}>
              <span class="small"> {state()!.conversation.error}</span>
            </Show>
          </p>
        </header>
        <ol class="messages" aria-label="Messages" aria-live="polite">
          <For each={state()?.messages ?? []}>
            {(m) => (
              <Switch>
                <Match when={m.role === "tool"}>
                  <ToolCallCard
                    message={m}
                    disabled={sending()}
                    onDecide={(ok) => decide(m, ok)}
                    onUndone={() => {
                      // The record it changed and the call's undone_at reach this device now.
                      store.pullNow();
                      poller.nudge();
                    }}
                  />
                </Match>
                <Match when={m.content}>
                  <li class={`bubble ${m.role}`}>
                    <span class="sr-only">{m.role === "user" ? "You: " : "Assistant: "}</span>
                    {m.content}
                  </li>
                </Match>
              </Switch>
            )}
          </For>
        </ol>
        <p class="form-error" role="alert">
          {error()}
        </p>
        <form class="composer" onSubmit={submit}>
          <label for={`composer-${props.id}`} class="sr-only">
            Message the assistant
          </label>
          <textarea
            id={`composer-${props.id}`}
            ref={(el) => (input = el)}
            rows="2"
            maxLength={LIMITS.assistant.message}
            placeholder={
              state()?.status === "awaiting_approval"
                ? "Approve or deny the pending call first"
                : "Try: add todo buy milk"
            }
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <button type="submit" class="primary" disabled={busy()}>
            Send
          </button>
        </form>
      </Show>
    </div>
  );
}

function ToolCallCard(props: {
  message: StateMessage;
  disabled: boolean;
  onDecide: (approved: boolean) => void;
  onUndone: () => void;
}) {
  const m = () => props.message;
  const [undoing, setUndoing] = createSignal(false);
  const [undoneHere, setUndoneHere] = createSignal(false);
  const [outcome, setOutcome] = createSignal("");
  // The server's rule: an executed call whose result names a record (id) changed something undoable.
  const undoable = () => {
    const r = m().result;
    return m().status === "executed" && typeof r === "object" && r !== null && "id" in r;
  };
  const undone = () => undoneHere() || !!m().undone_at;
  const undo = async () => {
    setUndoing(true);
    setOutcome("");
    try {
      await undoToolCall(m().tool_call_id!);
      setUndoneHere(true);
      props.onUndone();
    } catch (err) {
      setOutcome(`Couldn't undo: ${describeError(err)}`);
    } finally {
      setUndoing(false);
    }
  };
  const name = () => TOOL_TEXT[m().name ?? ""] ?? m().name;
  const input = () =>
    Object.entries(m().input ?? {}).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return (
    <li
      class="tool-call card"
      data-status={m().status}
      aria-label={`${name()} — ${CALL_TEXT[m().status!]}${undone() ? ", undone" : ""}`}
    >
      <div class="tool-head">
        <strong>{name()}</strong>
        <span class="badge" data-status={m().status}>
          {CALL_TEXT[m().status!]}
        </span>
      </div>
      {/* What approving will change, as the server read it (the todo's real title, the minutes). */}
      <Show when={m().status === "pending_approval" && m().preview}>
        {(p) => <p class="tool-preview">{p().summary}</p>}
      </Show>
      <Show when={input().length}>
        <p class="small tool-input">{input().join(" · ")}</p>
      </Show>
      <Show when={m().status === "pending_approval"}>
        <div class="row">
          <button type="button" class="primary" disabled={props.disabled} onClick={() => props.onDecide(true)}>
            Approve<span class="sr-only"> {m().preview?.summary ?? name()}</span>
          </button>
          <button type="button" class="ghost danger" disabled={props.disabled} onClick={() => props.onDecide(false)}>
            Deny<span class="sr-only"> {m().preview?.summary ?? name()}</span>
          </button>
        </div>
      </Show>
      <Show when={m().status === "failed"}>
        <p class="small form-error">{(m().result as { error?: { message?: string } } | null)?.error?.message}</p>
      </Show>
      <Show when={undoable()}>
        <div class="row wrap">
          <button type="button" class="ghost" disabled={undone() || undoing()} onClick={() => void undo()}>
            {undone() ? "Undone" : "Undo"}
            <span class="sr-only"> {name()}</span>
          </button>
          {/* "Undone: …" comes from the call's state, not this card's signal: a newer conversation
              state re-creates the cards, and every device shows it from the server's undone_at. */}
          <p class="small tool-outcome">
            {outcome() || (undone() ? `Undone: ${UNDONE_TEXT[m().name ?? ""] ?? "its change is reversed"}.` : "")}
          </p>
        </div>
      </Show>
    </li>
  );
}
