// Solid bindings for the framework-free sync store.
import { createContext, createSignal, onCleanup, useContext, type Accessor } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import type { EntityMap, EntityName } from "../api/types.ts";
import type { Notice, SyncStatus, SyncStore } from "../sync/store.ts";

export const SyncContext = createContext<SyncStore>();

export function useSync(): SyncStore {
  const store = useContext(SyncContext);
  if (!store) throw new Error("useSync outside <SyncContext.Provider>");
  return store;
}

type RecordList<E extends EntityName> = readonly EntityMap[E][];

interface Held<E extends EntityName> {
  list: RecordList<E>;
}

/** One Solid store per (sync store, entity), shared by every view that reads it. */
const lists = new WeakMap<SyncStore, Map<EntityName, Held<EntityName>>>();

function recordList<E extends EntityName>(store: SyncStore, entity: E): Held<E> {
  let byEntity = lists.get(store);
  if (!byEntity) lists.set(store, (byEntity = new Map()));
  const have = byEntity.get(entity);
  if (have) return have as unknown as Held<E>;
  // reconcile() writes into the store's objects in place, so the store gets
  // copies: the sync client's records (and its outbox) must stay untouched.
  // Only records whose object changed since the last read are copied; the
  // others are handed back as the store's own object, which reconcile() skips
  // (an edit in a list of 50 000 costs one copy, not 50 000).
  let copied = new Map<string, unknown>();
  const read = (current: readonly EntityMap[E][]) => {
    const mine = new Map(current.map((r) => [r.id, r]));
    const records = store.records(entity);
    const next = records.map((r) => {
      const held = mine.get(r.id);
      return held && copied.get(r.id) === r ? held : (structuredClone(r) as EntityMap[E]);
    });
    copied = new Map(records.map((r) => [r.id, r]));
    return next;
  };
  // reconcile() updates this array in place: it stays the store's plain list (no deep unwrap() per change).
  const plain = read([]);
  const [list, setList] = createStore<EntityMap[E][]>(plain);
  // Lives as long as the sync store (it holds the listener, we hold the list).
  store.onRecords(entity, () => setList(reconcile(read(plain), { key: "id" })));
  const held: Held<E> = { list };
  byEntity.set(entity, held as unknown as Held<EntityName>);
  return held;
}

/**
 * An entity's records (server-confirmed plus pending), as a Solid store
 * reconciled by id: a record keeps its object while it changes, so
 * `<For each={...}>` over any sorted or filtered copy keeps each row mounted
 * (focus, open editors) and only re-renders the fields that changed.
 */
export function useRecords<E extends EntityName>(entity: E): Accessor<RecordList<E>> {
  const { list } = recordList(useSync(), entity);
  return () => list;
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
