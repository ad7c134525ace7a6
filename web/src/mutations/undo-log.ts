// This device's undoable changes (issue 24): each write of a todo, inbox item
// or reference is recorded here as it is queued (mutations/record.ts enqueue).
// In the initial bundle, so a change made before the undo notice's chunk has
// loaded (components/UndoNotice.tsx) can be undone too.
import type { RestorableEntity } from "@protocol/history.ts";
import type { EntityMap } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import type { Mutation, SyncStore } from "../sync/store.ts";

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
function actionOf(store: SyncStore, m: Mutation): Action | null {
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

/** Changes kept per signed-in store (this page's session), oldest first. */
const KEEP = 20;
const stacks = new WeakMap<SyncStore, Action[]>();
export const undoStack = (store: SyncStore): Action[] => {
  let s = stacks.get(store);
  if (!s) stacks.set(store, (s = []));
  return s;
};

/** Told of each change recorded (the notice, once loaded). */
export const undoLog: { added?: (store: SyncStore, a: Action) => void } = {};

/** Record `m` if it can be undone; gives it a key (and a delete its If-Match) first. */
export function remember(store: SyncStore, m: Mutation): void {
  const a = actionOf(store, m);
  if (!a) return;
  const stack = undoStack(store);
  stack.push(a);
  if (stack.length > KEEP) stack.shift();
  undoLog.added?.(store, a);
}
