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
// After the first two pages, the rest comes as ranges the server names
// (`ranges`, asked with `split` on the second page — finding them reads the
// user's whole log index, which would delay the first screen by hundreds of
// ms under load): disjoint parts of the log below the first page's cursor,
// each paged on its own, SNAPSHOT_CONCURRENCY at a time — a page's
// cost is mostly the server's and the round trip, so concurrent pages load a
// big account several times faster. Ranges arrive in any order, so the rule
// across pages is "the entry with the highest cursor wins", which within a
// page (newest first) is still its first entry. A server that names no ranges
// is walked page after page by `next`, as before.
//
// A walk survives a failed page (a timeout on a slow link, a dropped
// connection): the store keeps its Walk and the next pull carries on from the
// pages not yet written, instead of starting over — on a big account a
// restarted walk could time out again forever. A record this device already
// holds at the same version is neither rewritten nor re-announced (a 410
// recovery on a full cache writes only what changed while it was away).
import { httpError, send, type FetchFn } from "../api/http.ts";
import type { SnapshotResponse } from "../api/types.ts";
import type { CachedRecord, SyncCache } from "./db.ts";
import { SNAPSHOT_READ } from "@protocol/rules.ts";

export interface BootstrapTarget {
  fetch: FetchFn;
  /** The store's server-confirmed records, by entity then id (updated in place). */
  base: Map<string, Map<string, CachedRecord>>;
  cache: SyncCache | null;
  /** An entity's records changed (the store batches notifications). */
  changed(entity: string): void;
  /**
   * The first page's path, and the path of a page below `before` (and above
   * `after`, in a range) (./feed.ts; passed in, so this chunk shares no module
   * with the initial bundle).
   */
  first: string;
  page(before: string, after: string | null): string;
  /** The second page's path: a page below `before` that also names `ranges` for the rest. */
  split(before: string): string;
}

const keyOf = (entity: string, id: string) => `${entity}\u0000${id}`;

/**
 * A page is up to 4 MB: on a slow link or a busy device its request, parse and
 * the wait behind the pages beside it can outlast the default watchdog (15 s).
 */
export const SNAPSHOT_PAGE_TIMEOUT_MS = 60_000;
/** Pages in flight at once (@protocol/rules.ts says why this many). */
export const SNAPSHOT_CONCURRENCY = SNAPSHOT_READ.concurrency;

/** Where a walk stands: kept by the store across failed attempts. */
export interface Walk {
  /** The pages still to read: the first page's path, then one per range not yet complete. */
  todo: string[];
  /** The first page's cursor (where the feed carries on), once read. */
  cursor: string | null;
  /** Records met so far, with the cursor of the entry applied (a higher one replaces it). */
  seen: Map<string, number>;
  /** Entities changed since the views last heard. */
  touched: Set<string>;
  first: boolean;
  /** `todo` holds the second page, read alone: it names the ranges. */
  split: boolean;
  /** The first page's `floor`; a page with another one set `moved`. */
  floor: string | null;
  moved: boolean;
}

export const newWalk = (first: string): Walk => ({
  todo: [first],
  cursor: null,
  seen: new Map(),
  touched: new Set(),
  first: true,
  split: false,
  floor: null,
  moved: false,
});

/** Walks again after this many walks whose floor moved (then the feed's 410 rule is the backstop). */
const MAX_REWALKS = 2;

/** Loads everything (or the rest of `walk`); resolves with the cursor the forward feed continues from. */
export async function bootstrap(t: BootstrapTarget, walk: Walk = newWalk(t.first)): Promise<string | null> {
  const touched = walk.touched;
  for (let rewalks = 0; ; rewalks++) {
    if (walk.first) {
      const page = await read(t, walk, walk.todo[0]!);
      // The views hear of the first page (the newest records) at once, and of the rest when it is
      // all in: re-deriving a list of 50 000 for every page in between only slows the load down.
      touched.forEach((e) => t.changed(e));
      touched.clear();
      walk.cursor = page.cursor;
      walk.floor = page.floor ?? null;
      walk.todo = page.next === null ? [] : [t.split(page.next)];
      walk.split = page.next !== null;
      walk.first = false;
    }
    if (walk.split) {
      const page = await read(t, walk, walk.todo[0]!);
      walk.todo =
        page.next === null
          ? []
          : page.ranges
            ? page.ranges.map((r) => t.page(r.before, r.after))
            : [t.page(page.next, null)];
      walk.split = false;
    }
    await readRanges(t, walk);
    // The compaction deleted tombstones (each with its record's older entries) while the ranges were
    // read: an older range read before may have laid in a record whose delete a newer range then no
    // longer had. Rare (a tombstone leaves a day after the retention); walk again — what is held at
    // the same version is not rewritten, and whatever the new walk does not meet leaves below.
    if (!walk.moved || rewalks >= MAX_REWALKS) break;
    Object.assign(walk, { ...newWalk(t.first), touched });
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

/**
 * Reads every range of `walk.todo` to its end, SNAPSHOT_CONCURRENCY pages at a
 * time. A range's entry in `todo` moves on only once its page is written, so a
 * failure leaves exactly the unwritten pages there; the first failure stops
 * new pages and is thrown once the pages in flight are done.
 */
async function readRanges(t: BootstrapTarget, walk: Walk): Promise<void> {
  const queue = [...walk.todo];
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined && !failure; path = queue.shift()) {
      let at: string | null = path;
      while (at !== null && !failure) {
        let page: SnapshotResponse;
        try {
          page = await read(t, walk, at);
        } catch (error) {
          failure ??= { error };
          return;
        }
        const after: string | null = page.next === null ? null : t.page(page.next, afterOf(at));
        const i = walk.todo.indexOf(at);
        if (after === null) walk.todo.splice(i, 1);
        else walk.todo[i] = after;
        at = after;
      }
    }
  };
  await Promise.all(Array.from({ length: SNAPSHOT_CONCURRENCY }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

/** The `after` bound of a page's path (its range's lower end), or null. */
const afterOf = (path: string) => new URL(path, "http://x").searchParams.get("after");

/** Fetches one page and lays it into the base and the cache; resolves once it is written. */
async function read(t: BootstrapTarget, walk: Walk, path: string): Promise<SnapshotResponse> {
  const res = await send(t.fetch, path, { timeoutMs: SNAPSHOT_PAGE_TIMEOUT_MS });
  if (!res.ok) throw httpError(res);
  const page = res.body as SnapshotResponse;
  if (walk.floor !== null && page.floor !== undefined && page.floor !== walk.floor) walk.moved = true;
  const puts: CachedRecord[] = [];
  const dels: Array<[string, string]> = [];
  // What this page won, and what it replaced in `seen` (put back if the page is not written).
  const won: Array<[string, number | undefined]> = [];
  for (const c of page.changes) {
    const k = keyOf(c.entity, c.id);
    const at = Number(c.cursor);
    const was = walk.seen.get(k);
    // A newer entry of the record was met already (earlier in this page, or in a newer range).
    if (was !== undefined && was >= at) continue;
    walk.seen.set(k, at);
    won.push([k, was]);
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
    walk.touched.add(c.entity);
  }
  try {
    // Pages commit in the order they were laid in (IndexedDB runs overlapping transactions in order).
    await t.cache?.commit(puts, dels);
  } catch (err) {
    for (const [k, was] of won)
      if (was === undefined) walk.seen.delete(k);
      else walk.seen.set(k, was);
    throw err;
  }
  return page;
}

function mapOf(base: Map<string, Map<string, CachedRecord>>, entity: string): Map<string, CachedRecord> {
  let m = base.get(entity);
  if (!m) base.set(entity, (m = new Map()));
  return m;
}
