// Solid bindings for the framework-free sync store.
import { batch, createContext, createSignal, onCleanup, untrack, useContext, type Accessor } from "solid-js";
import { createStore, reconcile, type SetStoreFunction } from "solid-js/store";
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

/**
 * For work over every record (filters, sorts, counts over tens of thousands):
 * `raw` is the sync store's own list of plain objects — no copy, and reading
 * them subscribes to nothing — and the accessor moves on any change.
 * `live(r)` is the reactive record for a rendered row: one small Solid store
 * per id, made when a row first needs it and reconciled when that record
 * changes, so the row keeps its object (focus, an open editor) across edits.
 * An edit in a list of 50 000 costs one copy, not a pass over the list.
 */
export function useRecordsRaw<E extends EntityName>(
  entity: E,
): Accessor<{ raw: RecordList<E>; live: (r: EntityMap[E]) => EntityMap[E] }> {
  const store = useSync();
  const { version, live } = rawList(store, entity);
  return () => {
    version();
    return { raw: store.records(entity), live };
  };
}

interface LiveRow<E extends EntityName> {
  src: EntityMap[E];
  rec: EntityMap[E];
  set: SetStoreFunction<EntityMap[E]>;
}
interface RawHeld<E extends EntityName> {
  version: Accessor<number>;
  live: (r: EntityMap[E]) => EntityMap[E];
}
const rawLists = new WeakMap<SyncStore, Map<EntityName, RawHeld<EntityName>>>();

function rawList<E extends EntityName>(store: SyncStore, entity: E): RawHeld<E> {
  let byEntity = rawLists.get(store);
  if (!byEntity) rawLists.set(store, (byEntity = new Map()));
  const have = byEntity.get(entity);
  if (have) return have as unknown as RawHeld<E>;
  const rows = new Map<string, LiveRow<E>>();
  // The Solid store gets a copy: reconcile() writes into its objects, and the sync client's must stay untouched.
  const refresh = (row: LiveRow<E>, r: EntityMap[E]) => {
    row.src = r;
    row.set(reconcile(structuredClone(r)));
  };
  const live = (r: EntityMap[E]): EntityMap[E] => {
    const row = rows.get(r.id);
    if (row) {
      if (row.src !== r) untrack(() => refresh(row, r));
      return row.rec;
    }
    const [rec, set] = createStore<EntityMap[E]>(structuredClone(r));
    rows.set(r.id, { src: r, rec, set });
    return rec;
  };
  const [version, setVersion] = createSignal(0);
  // Lives as long as the sync store. Rows made so far follow their record (or leave with it).
  store.onRecords(entity, () =>
    batch(() => {
      for (const [id, row] of rows) {
        const r = store.get(entity, id);
        if (!r) rows.delete(id);
        else if (r !== row.src) refresh(row, r);
      }
      setVersion((v) => v + 1);
    }),
  );
  const held: RawHeld<E> = { version, live };
  byEntity.set(entity, held as unknown as RawHeld<EntityName>);
  return held;
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
