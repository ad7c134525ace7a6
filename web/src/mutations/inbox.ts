// Inbox items: quick captures with tags.
import type { InboxItem, UpdateInboxItem } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { createRecord, deleteRecord, editRecord, newRecord, path, quote } from "./record.ts";

export function createInboxItem(store: SyncStore, input: { title: string; description?: string; tags: string[] }) {
  const fields = { title: input.title, description: input.description ?? "", tags: input.tags };
  const record = newRecord(store, "inbox_item", fields);
  return createRecord(store, "inbox_item", {
    path: "/api/user/inbox",
    record,
    body: fields,
    label: `Capture ${quote(record.title)}`,
  });
}

/** Guarded: a concurrent edit elsewhere makes this one lose (server wins) with a notice. */
export function updateInboxItem(store: SyncStore, item: InboxItem, patch: UpdateInboxItem) {
  return editRecord(store, "inbox_item", {
    path: path`/api/user/inbox/${item.id}`,
    current: item,
    patch,
    label: `Edit ${quote(item.title)}`,
  });
}

export function deleteInboxItem(store: SyncStore, item: InboxItem) {
  return deleteRecord(store, "inbox_item", {
    path: path`/api/user/inbox/${item.id}`,
    current: item,
    label: `Delete ${quote(item.title)}`,
  });
}
