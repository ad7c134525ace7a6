// useRecordsRaw: an entity's records for screens that work over tens of
// thousands of them (inbox, references, todos). Its own module, so only those
// screens' lazy chunks carry it (the initial bundle has a budget).
import { batch, createSignal, untrack, type Accessor } from "solid-js";
import { createStore, reconcile, type SetStoreFunction } from "solid-js/store";
import type { EntityMap, EntityName } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { useSync } from "./sync-context.ts";

type RecordList<E extends EntityName> = readonly EntityMap[E][];

/** Reactive rows kept per entity: well over the rows a list renders at once (VirtualList's MAX_ROWS). */
const LIVE_ROWS = 400;

/**
 * For work over every record (filters, sorts, counts over tens of thousands):
 * `raw` is the sync store's own list of plain objects — no copy, and reading
 * them subscribes to nothing — and the accessor moves on any change.
 * `live(r)` is the reactive record for a rendered row: one small Solid store
 * per id, made when a row first needs it and reconciled when that record
 * changes, so the row keeps its object (focus, an open editor) across edits.
 * An edit in a list of 50 000 costs one copy, not a pass over the list, and
 * visits at most LIVE_ROWS rows (the least recently rendered ones are let go).
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
      // Most recently used last: the rendered rows (asked for on every render) are never the oldest.
      rows.delete(r.id);
      rows.set(r.id, row);
      return row.rec;
    }
    const [rec, set] = createStore<EntityMap[E]>(structuredClone(r));
    rows.set(r.id, { src: r, rec, set });
    // Rows scrolled past long ago go: an edit then visits a bounded number of rows,
    // however far the list was scrolled (a row that comes back gets a fresh store).
    if (rows.size > LIVE_ROWS) rows.delete(rows.keys().next().value!);
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
