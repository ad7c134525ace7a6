// Solid bindings for the framework-free sync store.
import { batch, createContext, createSignal, onCleanup, untrack, useContext, type Accessor } from "solid-js";
import { createStore, reconcile, unwrap } from "solid-js/store";
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
  /** Moves on every change of any of the entity's records. */
  version: Accessor<number>;
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
  const [list, setList] = createStore<EntityMap[E][]>(read([]));
  const [version, setVersion] = createSignal(0);
  // Lives as long as the sync store (it holds the listener, we hold the list).
  store.onRecords(entity, () =>
    batch(() => {
      setList(reconcile(read(unwrap(list)), { key: "id" }));
      setVersion((v) => v + 1);
    }),
  );
  const held: Held<E> = { list, version };
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

/**
 * For work over every record (filters, sorts, counts over tens of thousands):
 * `raw` is the list's plain objects — reading them subscribes to nothing — and
 * the accessor moves on any change. `live[i]` is the reactive record of
 * `raw[i]`, for the rows that are rendered.
 */
export function useRecordsRaw<E extends EntityName>(
  entity: E,
): Accessor<{ raw: RecordList<E>; live: (i: number) => EntityMap[E] }> {
  const { list, version } = recordList(useSync(), entity);
  return () => {
    version();
    return { raw: unwrap(list), live: (i) => untrack(() => list[i]!) };
  };
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
