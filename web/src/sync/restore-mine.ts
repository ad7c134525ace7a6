// "Use mine" on a conflict notice (loaded on that click, so not in the initial
// bundle): the edit that lost is sent again over the version that won, guarded
// by it — a third change meanwhile is a new, visible conflict.
import type { EntityName } from "../api/types.ts";
import type { Data } from "./db.ts";
import type { Mutation } from "./outbox.ts";
import type { SyncStore } from "./types.ts";

export async function restoreMine(store: SyncStore, noticeId: string): Promise<void> {
  const mine = store.notices().find((n) => n.id === noticeId)?.mine;
  if (!mine) return;
  store.dismiss(noticeId);
  const current = store.get(mine.entity as EntityName, mine.id) as Data | undefined;
  // Deleted meanwhile: nothing to put it back on (the feed said so already).
  if (!current) return;
  const version = Number(current.version);
  const data = { ...current, ...(mine.body as Data), version: version + 1 } as never;
  await store.mutate({
    method: mine.method as Mutation["method"],
    path: mine.path,
    body: mine.body,
    entity: mine.entity,
    id: mine.id,
    ifMatch: version,
    optimistic: { op: "upsert", data },
    label: mine.label.replace(/^Edit\b/, "Restore"),
  });
}
