// "Undo" after a change or delete of a todo, inbox item or reference, and
// Ctrl/Cmd+Z for this device's last one (issue 24). Part of the notices' lazy
// chunk: it hooks into mutations/record.ts `enqueue` once loaded, right after
// the first paint.
//
// An undo is itself a queued write: `POST /api/history/undo` naming the
// change as the feed names it (entity, id, the version the change produced),
// with its own Idempotency-Key, sent through the outbox — so it works offline,
// replays safely, and reaches every device through the change log. The server
// undoes it only if the record is still that version (else 409 with both, and
// the newer change stands); the outbox drops it unsent if the write it undoes
// was refused (`after`), since that version would then be someone else's.
import { createSignal, onCleanup, onMount, Show } from "solid-js";
import { iso } from "../mutations/record.ts";
import { undoLog, undoStack, type Action } from "../mutations/undo-log.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";
import { isMac } from "../ui/format.ts";
import { useSync } from "../ui/sync-context.ts";

/** Queue the undo of `a` (after it, if it is still queued). */
export function undoAction(store: SyncStore, a: Action): Promise<void> {
  return store.mutate({
    method: "POST",
    path: "/api/history/undo",
    body: { entity: a.entity, id: a.id, version: a.version },
    entity: a.entity,
    id: a.id,
    // The record as it was, one version above the change (a restore is a new version); a creation goes away.
    optimistic: a.before
      ? { op: "upsert", data: { ...a.before, version: a.version + 1, updated_at: iso(store.serverNow()) } }
      : { op: "delete" },
    label: `Undo: ${a.label}`,
    key: uuid(),
    after: a.key,
  });
}

const PAST: Record<string, string> = {
  Add: "Added",
  Archive: "Archived",
  Capture: "Captured",
  Complete: "Completed",
  Create: "Created",
  Delete: "Deleted",
  Edit: "Edited",
  Pin: "Pinned",
  Reopen: "Reopened",
  Unarchive: "Unarchived",
  Unpin: "Unpinned",
};
const said = (label: string) => label.replace(/^\w+/, (w) => PAST[w] ?? w);

/** Where the browser's own undo belongs: text being typed. */
function typing(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement) return true;
  return (
    el instanceof HTMLInputElement &&
    !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(el.type)
  );
}

export default function UndoNotice() {
  const store = useSync();
  const stack = undoStack(store);
  const [text, setText] = createSignal("");
  const [offer, setOffer] = createSignal<Action | null>(null);
  const show = (message: string, a: Action | null) => {
    setText(message);
    setOffer(a);
  };
  // Up until the next thing the user does elsewhere (a click or tap, another screen): no timer
  // to race a screen reader or a slow hand; Ctrl/Cmd+Z still works after it goes.
  let box: HTMLDivElement | undefined;
  const away = (e: Event) => {
    if (!(e.target instanceof Node) || !box?.contains(e.target)) show("", null);
  };

  const undo = (a: Action | undefined) => {
    const at = a ? stack.indexOf(a) : -1;
    if (!a || at < 0) return show("Nothing to undo on this device.", null);
    stack.splice(at, 1);
    if (a.stale) return show(`${a.label} can't be undone any more: it was changed since.`, null);
    // The server names a change by the version it made, and undoes it only while the record is
    // still that version: after this undo, the earlier changes of this record can't be named.
    for (const b of stack) if (b.entity === a.entity && b.id === a.id) b.stale = true;
    show(`Undone: ${a.label}.`, null);
    void undoAction(store, a);
  };

  onMount(() => {
    undoLog.added = (s, a) => {
      if (s === store) show(`${said(a.label)}.`, a);
    };
    // A change made before this chunk loaded: offered now.
    const last = stack.at(-1);
    if (last) show(`${said(last.label)}.`, last);
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey || e.key.toLowerCase() !== "z" || typing(e.target))
        return;
      e.preventDefault();
      undo(stack.at(-1));
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", away, true);
    window.addEventListener("hashchange", away);
    onCleanup(() => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", away, true);
      window.removeEventListener("hashchange", away);
      undoLog.added = undefined;
    });
  });

  return (
    <div class="notice undo-notice" classList={{ idle: !text() }} data-kind="info" ref={(el) => (box = el)}>
      {/* The live region is always in the page, so each new message is announced. */}
      <p role="status" aria-live="polite">
        {text()}
      </p>
      <Show when={offer()}>
        {(a) => (
          <button
            type="button"
            aria-keyshortcuts={isMac ? "Meta+Z" : "Control+Z"}
            title={isMac ? "⌘Z" : "Ctrl+Z"}
            onClick={() => undo(a())}
          >
            Undo<span class="sr-only"> — {a().label}</span>
          </button>
        )}
      </Show>
    </div>
  );
}
