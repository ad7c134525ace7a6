// Solid bindings for the framework-free sync store.
import { createContext, createSignal, onCleanup, useContext, type Accessor } from "solid-js";
import type { EntityMap, EntityName } from "../api/types.ts";
import type { Notice, SyncStatus, SyncStore } from "../sync/store.ts";

export const SyncContext = createContext<SyncStore>();

export function useSync(): SyncStore {
  const store = useContext(SyncContext);
  if (!store) throw new Error("useSync outside <SyncContext.Provider>");
  return store;
}

export function useRecords<E extends EntityName>(entity: E): Accessor<readonly EntityMap[E][]> {
  const store = useSync();
  const [get, set] = createSignal(store.records(entity));
  onCleanup(store.onRecords(entity, () => set(() => store.records(entity))));
  return get;
}

export function useStatus(): Accessor<SyncStatus> {
  const store = useSync();
  const [get, set] = createSignal(store.status());
  onCleanup(store.onStatus(() => set(() => store.status())));
  return get;
}

export function useNotices(): Accessor<readonly Notice[]> {
  const store = useSync();
  const [get, set] = createSignal(store.notices());
  onCleanup(store.onNotices(() => set(() => store.notices())));
  return get;
}
