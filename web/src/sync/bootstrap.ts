// A device with no cursor (new, interrupted, or told 410 by the feed) loads
// every record from GET /api/sync/snapshot: the change log read newest first,
// so the newest records are on screen after the first small page, not the
// last of a replay from the start. Loaded lazily (store.ts) — a warm start
// never needs it.
//
// Merge rule: pages come newest first, so the first entry met for a record is
// its latest (a tombstone included) and older ones are skipped. Records are
// laid into the base as pages arrive (shown at once; the outbox's pending
// edits stay on top), and whatever the walk never met — deleted while this
// device was away — is dropped at the end, when the cursor is set (SPEC §4:
// the feed carries on from it; a 410 there starts another walk).
import { httpError, send, type FetchFn } from "../api/http.ts";
import type { SnapshotResponse } from "../api/types.ts";
import type { CachedRecord, SyncCache } from "./db.ts";

export interface BootstrapTarget {
  fetch: FetchFn;
  /** The store's server-confirmed records, by entity then id (updated in place). */
  base: Map<string, Map<string, CachedRecord>>;
  cache: SyncCache | null;
  /** An entity's records changed (the store batches notifications). */
  changed(entity: string): void;
  /**
   * The first page's path, and the path of the page before a cursor (./feed.ts;
   * passed in, so this chunk shares no module with the initial bundle).
   */
  first: string;
  after(before: string): string;
}

const keyOf = (entity: string, id: string) => `${entity}\u0000${id}`;

/** Loads everything; resolves with the cursor the forward feed continues from. */
export async function bootstrap(t: BootstrapTarget): Promise<string | null> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  let next: Promise<Awaited<ReturnType<typeof send>>> = send(t.fetch, t.first);
  // The views hear of the first page (the newest records, at once) and then of the rest when it is
  // all in: re-deriving a list of 50 000 for every page in between only slows the load down.
  const touched = new Set<string>();
  for (let first = true; ; first = false) {
    const res = await next;
    if (!res.ok) throw httpError(res);
    const page = res.body as SnapshotResponse;
    cursor ??= page.cursor;
    // Ask for the next page before laying this one in: the network and IndexedDB overlap.
    if (page.next !== null) next = send(t.fetch, t.after(page.next));
    const puts: CachedRecord[] = [];
    const dels: Array<[string, string]> = [];
    for (const c of page.changes) {
      const k = keyOf(c.entity, c.id);
      if (seen.has(k)) continue;
      seen.add(k);
      const map = mapOf(t.base, c.entity);
      const have = map.get(c.id);
      if (c.op === "upsert" && c.data) {
        if (have && have.version > c.version) continue; // e.g. our own write, newer than the snapshot
        const rec: CachedRecord = { entity: c.entity, id: c.id, version: c.version, data: c.data };
        map.set(c.id, rec);
        puts.push(rec);
      } else if (have) {
        map.delete(c.id);
        dels.push([c.entity, c.id]);
      } else continue;
      touched.add(c.entity);
    }
    if (first) {
      touched.forEach((e) => t.changed(e));
      touched.clear();
    }
    await t.cache?.commit(puts, dels);
    if (page.next === null) break;
  }
  // What the walk never met no longer exists.
  const stale: Array<[string, string]> = [];
  for (const [entity, map] of t.base)
    for (const id of map.keys())
      if (!seen.has(keyOf(entity, id))) {
        map.delete(id);
        stale.push([entity, id]);
        touched.add(entity);
      }
  touched.forEach((e) => t.changed(e));
  await t.cache?.commit([], stale, cursor);
  // For the bench (bench/browser-big.ts): when everything was in.
  performance.mark("continuum:snapshot-loaded");
  return cursor;
}

function mapOf(base: Map<string, Map<string, CachedRecord>>, entity: string): Map<string, CachedRecord> {
  let m = base.get(entity);
  if (!m) base.set(entity, (m = new Map()));
  return m;
}
