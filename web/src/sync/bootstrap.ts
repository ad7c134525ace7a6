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
//
// A walk survives a failed page (a timeout on a slow link, a dropped
// connection): the store keeps its Walk and the next pull carries on from the
// last page written, instead of starting over — on a big account a restarted
// walk could time out again forever. A record this device already holds at
// the same version is neither rewritten nor re-announced (a 410 recovery on a
// full cache writes only what changed while it was away).
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

/**
 * A page is up to 4 MB: on a slow link or a busy device its request, parse and
 * the wait behind the page before can outlast the default watchdog (15 s).
 */
export const SNAPSHOT_PAGE_TIMEOUT_MS = 60_000;

/** Where a walk stands: kept by the store across failed attempts. */
export interface Walk {
  /** The next page's path. */
  next: string;
  /** The first page's cursor (where the feed carries on), once read. */
  cursor: string | null;
  /** Records met so far (their newest entry was applied). */
  seen: Set<string>;
  /** Entities changed since the views last heard. */
  touched: Set<string>;
  first: boolean;
}

export const newWalk = (first: string): Walk => ({
  next: first,
  cursor: null,
  seen: new Set(),
  touched: new Set(),
  first: true,
});

/** Loads everything (or the rest of `walk`); resolves with the cursor the forward feed continues from. */
export async function bootstrap(t: BootstrapTarget, walk: Walk = newWalk(t.first)): Promise<string | null> {
  const get = (path: string) => {
    const p = send(t.fetch, path, { timeoutMs: SNAPSHOT_PAGE_TIMEOUT_MS });
    p.catch(() => undefined); // a prefetched page the walk never reaches (it failed before) is no error
    return p;
  };
  let next = get(walk.next);
  // The views hear of the first page (the newest records, at once) and then of the rest when it is
  // all in: re-deriving a list of 50 000 for every page in between only slows the load down.
  const touched = walk.touched;
  for (;;) {
    const res = await next;
    if (!res.ok) throw httpError(res);
    const page = res.body as SnapshotResponse;
    // Ask for the next page before laying this one in: the network and IndexedDB overlap.
    const after = page.next === null ? null : t.after(page.next);
    if (after !== null) next = get(after);
    const puts: CachedRecord[] = [];
    const dels: Array<[string, string]> = [];
    // Met in this page (a record's older entries can share its page); joins `walk.seen` once written.
    const met = new Set<string>();
    for (const c of page.changes) {
      const k = keyOf(c.entity, c.id);
      if (walk.seen.has(k) || met.has(k)) continue;
      met.add(k);
      const map = mapOf(t.base, c.entity);
      const have = map.get(c.id);
      if (c.op === "upsert" && c.data) {
        // Held already (same version), or our own write, newer than the snapshot.
        if (have && have.version >= c.version) continue;
        const rec: CachedRecord = { entity: c.entity, id: c.id, version: c.version, data: c.data };
        map.set(c.id, rec);
        puts.push(rec);
      } else if (have) {
        map.delete(c.id);
        dels.push([c.entity, c.id]);
      } else continue;
      touched.add(c.entity);
    }
    if (walk.first) {
      touched.forEach((e) => t.changed(e));
      touched.clear();
    }
    await t.cache?.commit(puts, dels);
    // Written: a failure from here on resumes after this page.
    for (const k of met) walk.seen.add(k);
    walk.cursor ??= page.cursor;
    walk.first = false;
    if (after === null) break;
    walk.next = after;
  }
  const seen = walk.seen;
  const cursor = walk.cursor;
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
