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
import type { EntityMap } from "../api/types.ts";
import type { RestorableEntity } from "@protocol/history.ts";
import { iso, onEnqueue } from "../mutations/record.ts";
import { uuid } from "../sync/deps.ts";
import type { Mutation, SyncStore } from "../sync/store.ts";
import { isMac } from "../ui/format.ts";
import { useSync } from "../ui/sync-context.ts";

const RESTORABLE: readonly RestorableEntity[] = ["todo", "inbox_item", "reference"];
// Every restorable type is listed: a new one on the server fails to compile here until added.
const _all: Exclude<RestorableEntity, (typeof RESTORABLE)[number]> extends never ? true : never = true;
void _all;

type Restorable = EntityMap[RestorableEntity];

/** One change this device made, as the undo names it. */
export interface Action {
  key: string;
  entity: RestorableEntity;
  id: string;
  /** The version the change produced (a delete's: the tombstone, the deleted version + 1). */
  version: number;
  /** The record before the change; null for a creation. */
  before: Restorable | null;
  label: string;
  /** A later change of the same record was undone here: this one no longer names the record's version. */
  stale?: boolean;
}

const isRestorable = (e: string): e is RestorableEntity => (RESTORABLE as readonly string[]).includes(e);

/** The action a queued write is, or null when it can't be undone (another type, a server action). */
export function actionOf(store: SyncStore, m: Mutation): Action | null {
  if (!isRestorable(m.entity) || m.after || !m.optimistic) return null;
  const before = (store.get(m.entity, m.id) as Restorable | undefined) ?? null;
  const deleting = m.optimistic.op === "delete";
  if (deleting && !before) return null; // nothing here to delete: nothing to bring back
  const key = (m.key ??= uuid());
  // A delete is guarded by the version seen, so its tombstone is that version + 1 or it is refused.
  if (deleting) m.ifMatch ??= before!.version;
  const version = deleting ? before!.version + 1 : (m.optimistic as { data: Restorable }).data.version;
  const copy = before && (JSON.parse(JSON.stringify(before)) as Restorable);
  return { key, entity: m.entity, id: m.id, version, before: copy, label: m.label ?? "Change" };
}

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

const KEEP = 20;

export default function UndoNotice() {
  const store = useSync();
  const stack: Action[] = [];
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
    onEnqueue.fn = (s, m) => {
      const a = s === store ? actionOf(s, m) : null;
      if (!a) return;
      stack.push(a);
      if (stack.length > KEEP) stack.shift();
      show(`${said(a.label)}.`, a);
    };
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
      onEnqueue.fn = undefined;
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
