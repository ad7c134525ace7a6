// Inbox items: quick captures with tags, ticked off (done) or put away (archived).
import type { InboxItem, UpdateInboxItem } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { bumped, createRecord, deleteRecord, editRecord, iso, newRecord, path, quote, updateRecord } from "./record.ts";

export function createInboxItem(store: SyncStore, input: { title: string; description?: string; tags: string[] }) {
  const fields = { title: input.title, description: input.description ?? "", tags: input.tags };
  const record = newRecord(store, "inbox_item", { ...fields, done_at: null, archived_at: null });
  return createRecord(store, "inbox_item", {
    path: "/api/user/inbox",
    record,
    body: fields,
    label: `Capture ${quote(record.title)}`,
  });
}

/** Guarded: a concurrent edit elsewhere makes this one lose (server wins) with a notice. */
export function updateInboxItem(store: SyncStore, item: InboxItem, patch: Omit<UpdateInboxItem, "done" | "archived">) {
  return editRecord(store, "inbox_item", {
    path: path`/api/user/inbox/${item.id}`,
    current: item,
    patch,
    label: `Edit ${quote(item.title)}`,
  });
}

/**
 * Done / archived: a toggle, last write wins (two devices ticking the same item
 * agree anyway). The server stamps the time; until then this device's clock shows.
 */
export function setInboxState(store: SyncStore, item: InboxItem, change: { done?: boolean; archived?: boolean }) {
  const now = iso(store.serverNow());
  const next = bumped(store, item, {
    ...(change.done === undefined ? {} : { done_at: change.done ? now : null }),
    ...(change.archived === undefined ? {} : { archived_at: change.archived ? now : null }),
  });
  const what =
    change.done !== undefined ? (change.done ? "Done:" : "Reopen") : change.archived ? "Archive" : "Unarchive";
  return updateRecord(store, "inbox_item", {
    path: path`/api/user/inbox/${item.id}`,
    current: item,
    next,
    body: change,
    guarded: false,
    label: `${what} ${quote(item.title)}`,
  });
}

export function deleteInboxItem(store: SyncStore, item: InboxItem) {
  return deleteRecord(store, "inbox_item", {
    path: path`/api/user/inbox/${item.id}`,
    current: item,
    label: `Delete ${quote(item.title)}`,
  });
}
