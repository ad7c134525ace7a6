// The sync client (its interface: ./types.ts). Holds the server-confirmed
// records (mirrored in IndexedDB), lays the outbox's optimistic changes over
// them (./overlay.ts), follows the change feed (./feed.ts, ./transport.ts),
// owns reachability, and tells subscribers when something changed. No UI
// framework in here: the views wrap these callbacks in Solid signals.
import { ErrorCode } from "@protocol/rules.ts";
import type { FetchFn, HttpError } from "../api/http.ts";
import type { Change, EntityMap, EntityName, ServerMessage, Settings, SyncPrefs, User } from "../api/types.ts";
import { ServerClock } from "./clock.ts";
import { reached } from "./cursor.ts";
import type { CachedRecord, Data, OutboxEntry, SyncCache } from "./db.ts";
import type { SyncDeps } from "./deps.ts";
import { FEED_START, fetchChanges, SNAPSHOT_PAGE, snapshotPath, snapshotSplitPath } from "./feed.ts";
import type { Walk } from "./bootstrap.ts";
import { Listeners } from "./listeners.ts";
import { Outbox, type Mutation } from "./outbox.ts";
import { overlay, overlayOne } from "./overlay.ts";
import { DEFAULT_PREFS, linkMode, Transport } from "./transport.ts";
import type { Notice, SyncStatus, SyncStore } from "./types.ts";

export type { Mutation } from "./outbox.ts";
export type { LinkMode } from "./transport.ts";
export type { Notice, SyncStatus, SyncStore } from "./types.ts";

const MAX_NOTICES = 20;
/** Records a warm start shows before reading the rest of the cache. */
const FIRST_SCREEN = 200;

/** Reads the user a previous session cached, so the app can open offline. */
export async function cachedUser(deps: SyncDeps): Promise<User | null> {
  const cache = await deps.openCache();
  try {
    return (await cache.meta()).user;
  } finally {
    cache.close();
  }
}

export function createSyncStore(deps: SyncDeps): SyncStore {
  return new Store(deps);
}

class Store implements SyncStore {
  private cache: SyncCache | null = null;
  private base = new Map<string, Map<string, CachedRecord>>();
  private cursor: string | null = null;
  /** A load of every record that failed part way (./bootstrap.ts): the next pull carries on with it. */
  private walk: Walk | null = null;
  /** The change feed's walk token while a pull of several pages is under way (SPEC §4, routes/sync.ts). */
  private feedWalk: string | null = null;
  private outbox: Outbox | null = null;
  private readonly transport: Transport;
  private readonly clock: ServerClock;
  private readonly deps: SyncDeps;
  private views = new Map<string, Data[]>();
  private dirty = new Set<string>();
  private flushQueued = false;
  private noticeList: Notice[] = [];
  /**
   * Whether the server answers. Owned here: the outbox (sends) and the
   * transport (pulls, socket) only report what they saw, and the store
   * decides what follows — the status, and flushing the outbox on return.
   */
  private reachable = true;
  private lastStatus: SyncStatus = { mode: "polling", poll_interval_s: DEFAULT_PREFS.poll_interval_s, pending: 0 };
  private chain: Promise<unknown> = Promise.resolve();
  /** Set while the rest of the cached records are read (start() returns after the newest ones). */
  private ready: Promise<void> | null = null;
  private queuedPull: Promise<boolean> | null = null;
  private offs: Array<() => void> = [];
  /** Per entity. */
  private readonly recordListeners = new Listeners<string>();
  private readonly listeners = new Listeners<"status" | "notices" | "auth">();

  constructor(rawDeps: SyncDeps) {
    this.clock = new ServerClock(rawDeps.now);
    // Every response tells us the server's time; countdowns need it.
    const fetch: FetchFn = async (input, init) => {
      const sent = rawDeps.now();
      const res = await rawDeps.fetch(input, init);
      this.clock.observe(res.headers.get("date"), sent, rawDeps.now());
      return res;
    };
    this.deps = { ...rawDeps, fetch };
    this.transport = new Transport(this.deps, {
      pull: () => this.pull(),
      message: (msg) => this.onMessage(msg),
      state: () => this.emitStatus(),
      reached: (ok) => this.reached(ok),
    });
  }

  async start(user: User): Promise<void> {
    const cache = (this.cache = await this.deps.openCache());
    let snap = await cache.load({ newest: FIRST_SCREEN });
    performance.mark("continuum:cache-read"); // bench/browser-big.ts: a warm start's share in IndexedDB
    if (snap.meta.user && snap.meta.user.id !== user.id) {
      await cache.clear();
      snap = await cache.load();
    }
    const clientId = snap.meta.client_id ?? this.deps.uuid();
    await cache.setMeta({ client_id: clientId, user });

    this.base.clear();
    for (const r of snap.records) this.baseMap(r.entity).set(r.id, r);
    this.cursor = snap.meta.cursor;
    this.walk = null;

    this.outbox = new Outbox(this.deps, cache, clientId, {
      committed: (e) => this.committed(e),
      rejected: (e, err) => this.rejected(e, err),
      reached: (ok) => this.reached(ok),
      unauthorized: () => this.unauthorized(),
      changed: (entities) => {
        entities.forEach((e) => this.markDirty(e));
        this.emitStatus();
      },
    });
    this.outbox.load(snap.outbox);

    for (const e of [...this.base.keys(), ...snap.outbox.map((o) => o.entity)]) this.markDirty(e);
    // The newest records are shown now; the rest joins before anything may change the
    // cache (a pull, a send, an edit), or a record deleted meanwhile could come back from it.
    const joined = (all: CachedRecord[]) => {
      this.ready = null;
      if (this.cache !== cache) return; // stopped (or signed out) meanwhile
      for (const r of all) {
        const have = this.base.get(r.entity)?.get(r.id);
        if (!have || have.version < r.version) this.baseMap(r.entity).set(r.id, r);
        this.markDirty(r.entity);
      }
      this.configureTransport();
      this.offs.push(this.deps.on("online", () => this.outbox?.kick()));
      this.transport.start();
      this.outbox?.kick();
      this.emitStatus();
    };
    if (snap.rest) this.ready = snap.rest.catch(() => []).then(joined);
    else joined([]);
  }

  stop(): void {
    this.transport.stop();
    this.outbox?.stop();
    this.offs.forEach((off) => off());
    this.offs = [];
    this.cache?.close();
    this.cache = null;
  }

  async clear(): Promise<void> {
    this.transport.stop();
    this.outbox?.stop();
    const cache = this.cache ?? (await this.deps.openCache());
    await cache.clear();
    this.stop();
    for (const e of this.base.keys()) this.markDirty(e);
    this.base.clear();
    this.outbox = null;
    this.cursor = null;
    this.walk = null;
  }

  // ---- reading ---------------------------------------------------------

  records<E extends EntityName>(entity: E): readonly EntityMap[E][] {
    let view = this.views.get(entity);
    if (!view) {
      view = overlay(entity, this.base.get(entity), this.outbox?.list() ?? []);
      this.views.set(entity, view);
    }
    return view as unknown as EntityMap[E][];
  }

  get<E extends EntityName>(entity: E, id: string): EntityMap[E] | undefined {
    // Not a search of the list: one base lookup and the outbox's entries (an edit's rows ask per row).
    return overlayOne(entity, id, this.base.get(entity), this.outbox?.list() ?? []) as unknown as
      EntityMap[E] | undefined;
  }

  status(): SyncStatus {
    return this.lastStatus;
  }

  loaded(): boolean {
    return this.cursor !== null;
  }

  notices(): readonly Notice[] {
    return this.noticeList;
  }

  serverNow(): number {
    return this.clock.serverNow();
  }

  // ---- writing ---------------------------------------------------------

  async mutate<E extends EntityName>(m: Mutation<E>): Promise<void> {
    if (this.ready) await this.ready; // only during a warm start's first moments
    if (!this.outbox) throw new Error("sync store not started");
    this.transport.nudge();
    await this.outbox.enqueue(m);
  }

  dismiss(id: string): void {
    this.noticeList = this.noticeList.filter((n) => n.id !== id);
    this.listeners.emit("notices");
  }

  pullNow(): Promise<void> {
    return this.transport.pullNow();
  }

  // ---- subscriptions ---------------------------------------------------

  onRecords(entity: EntityName, fn: () => void): () => void {
    return this.recordListeners.on(entity, fn);
  }
  onStatus(fn: () => void): () => void {
    return this.listeners.on("status", fn);
  }
  onNotices(fn: () => void): () => void {
    return this.listeners.on("notices", fn);
  }
  onUnauthorized(fn: () => void): () => void {
    return this.listeners.on("auth", fn);
  }

  // ---- the change feed -------------------------------------------------

  /** Runs feed work one at a time so the cursor only moves forward. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private pull(): Promise<boolean> {
    // Callers that arrive while a pull is queued share it.
    if (this.queuedPull) return this.queuedPull;
    const p = this.serial(() => {
      this.queuedPull = null;
      return this.pullInner();
    });
    this.queuedPull = p;
    return p;
  }

  private async pullInner(): Promise<boolean> {
    let changed = false;
    for (let loads = 0; ;) {
      // No cursor (a new device, or an interrupted load): every record first, newest first.
      if (this.cursor === null) {
        // A cursor expired again right after a full load is the server's problem: try on the next pull.
        if (loads++ > 1) break;
        await this.loadEverything();
        changed = true;
      }
      const since = this.cursor;
      const answer = await fetchChanges(this.deps.fetch, since, this.feedWalk);
      if (answer.kind === "unchanged") break;
      if (answer.kind === "expired") {
        // Our cursor fell out of retention: load everything again (the outbox stays), then carry on.
        this.cursor = null;
        this.walk = null;
        this.feedWalk = null;
        continue;
      }
      if (answer.kind === "unauthorized") {
        this.unauthorized();
        break;
      }
      const { body } = answer;
      if (body.changes.length) changed = true;
      await this.apply(body.changes, body.cursor);
      // A feed walk of several pages carries its token to the next page (even the next pull's).
      this.feedWalk = body.has_more ? (body.walk ?? null) : null;
      if (!body.has_more || body.cursor === since) break;
    }
    return changed;
  }

  /** Every record from the snapshot (./bootstrap.ts, a chunk of its own), then the cursor it ends at. */
  private async loadEverything(): Promise<void> {
    const { bootstrap, newWalk } = await import("./bootstrap.ts");
    const walk = (this.walk ??= newWalk(FEED_START));
    const cursor = await bootstrap(
      {
        fetch: this.deps.fetch,
        base: this.base,
        cache: this.cache,
        changed: (e) => this.markDirty(e),
        first: FEED_START,
        page: (before, after) => snapshotPath(before, SNAPSHOT_PAGE, after),
        split: snapshotSplitPath,
      },
      walk,
    );
    this.walk = null;
    this.cursor = cursor;
    await this.retire();
  }

  private async apply(changes: Change[], cursor: string): Promise<void> {
    const final = new Map<string, CachedRecord | [string, string]>();
    for (const c of changes) {
      const map = this.baseMap(c.entity);
      const have = map.get(c.id);
      const k = `${c.entity}\u0000${c.id}`;
      if (c.op === "upsert" && c.data) {
        if (have && have.version > c.version) continue; // we already hold something newer
        const rec: CachedRecord = { entity: c.entity, id: c.id, version: c.version, data: c.data };
        map.set(c.id, rec);
        final.set(k, rec);
      } else {
        map.delete(c.id);
        final.set(k, [c.entity, c.id]);
      }
      this.markDirty(c.entity);
    }
    this.cursor = cursor;
    const puts: CachedRecord[] = [];
    const dels: Array<[string, string]> = [];
    for (const v of final.values()) (Array.isArray(v) ? dels : puts).push(v as never);
    await this.cache?.commit(puts, dels, cursor);
    await this.retire();
  }

  private retire(): Promise<void> {
    return this.outbox?.retire((c) => reached(this.cursor, c)) ?? Promise.resolve();
  }

  private onMessage(msg: ServerMessage): void {
    if (msg.type === "hello") {
      if (msg.cursor !== this.cursor) void this.pull().catch(() => undefined);
      return;
    }
    if (msg.type !== "changes") return;
    void this.serial(async () => {
      if (reached(this.cursor, msg.cursor)) return; // e.g. our own write, already pulled
      if (msg.prev === this.cursor) await this.apply(msg.changes, msg.cursor);
      else await this.pullInner(); // we missed something: the feed closes the gap
    }).catch(() => undefined);
  }

  // ---- outbox outcomes ---------------------------------------------------

  private async committed(e: OutboxEntry): Promise<boolean> {
    if (e.sync_cursor && !reached(this.cursor, e.sync_cursor)) return true;
    // No cursor, or the feed already passed it: settle the base now.
    if (e.server) await this.adopt(e.entity, e.server);
    else if (e.optimistic?.op === "delete") await this.forget(e.entity, e.id);
    else this.pullNow(); // nothing to settle with: fetch the truth
    return false;
  }

  private async rejected(e: OutboxEntry, err: HttpError): Promise<void> {
    const current = (err.details as { current?: unknown } | null)?.current;
    const hasCurrent = typeof current === "object" && current !== null && typeof (current as Data).id === "string";
    if (hasCurrent) await this.adopt(e.entity, current as Data);
    if (err.code === ErrorCode.version_conflict) {
      // Keep the losing edit (only a change of fields can be re-applied; a delete is simply refused).
      // (An undo, `after`, has no fields of its own to keep.)
      const body = e.body && typeof e.body === "object" && e.method !== "DELETE" && !e.after ? e.body : undefined;
      const label = e.label ?? "Your change";
      const mine = body
        ? { entity: e.entity as EntityName, id: e.id, method: e.method, path: e.path, body, label }
        : undefined;
      this.notice(
        "conflict",
        `${label} conflicted with a change made elsewhere — server version kept.${mine ? " Your version is kept here." : ""}`,
        mine,
      );
    } else if (err.status === 404 && e.method !== "POST") {
      await this.forget(e.entity, e.id);
      this.notice("rejected", `${e.label} wasn't saved — it no longer exists.`);
    } else {
      this.notice("rejected", `${e.label} didn't go through: ${err.message}`);
    }
  }

  /** Put a server record into the base unless we already hold a newer one. */
  private async adopt(entity: string, data: Data): Promise<void> {
    const id = String(data.id);
    const version = Number(data.version);
    const map = this.baseMap(entity);
    const have = map.get(id);
    if (have && have.version > version) return;
    const rec: CachedRecord = { entity, id, version, data };
    map.set(id, rec);
    this.markDirty(entity);
    await this.cache?.commit([rec], []);
  }

  private async forget(entity: string, id: string): Promise<void> {
    if (this.baseMap(entity).delete(id)) this.markDirty(entity);
    await this.cache?.commit([], [[entity, id]]);
  }

  /** Both the outbox and the transport report here; a change of answer updates the status. */
  private reached(ok: boolean): void {
    if (ok === this.reachable) return;
    this.reachable = ok;
    this.emitStatus();
    // Back in touch: send what waited, without sitting out the outbox's backoff.
    if (ok) this.outbox?.kick();
  }

  private unauthorized(): void {
    this.transport.stop();
    this.outbox?.stop();
    this.listeners.emit("auth");
  }

  // ---- notifications ---------------------------------------------------

  private notice(kind: Notice["kind"], message: string, mine?: Notice["mine"]): void {
    const n: Notice = { id: this.deps.uuid(), kind, message, at: this.deps.now(), ...(mine ? { mine } : {}) };
    this.noticeList = [...this.noticeList, n].slice(-MAX_NOTICES);
    this.listeners.emit("notices");
  }

  private baseMap(entity: string): Map<string, CachedRecord> {
    let m = this.base.get(entity);
    if (!m) this.base.set(entity, (m = new Map()));
    return m;
  }

  /** Batches record notifications into one per entity per microtask. */
  private markDirty(entity: string): void {
    this.views.delete(entity);
    this.dirty.add(entity);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const entities = [...this.dirty];
      this.dirty.clear();
      if (entities.includes("settings")) this.configureTransport();
      for (const e of entities) this.recordListeners.emit(e);
    });
  }

  private configureTransport(): void {
    const s = latestSettings(this.records("settings"));
    this.transport.configure({ ...DEFAULT_PREFS, ...(s?.sync as Partial<SyncPrefs> | undefined) });
  }

  private emitStatus(): void {
    const next: SyncStatus = {
      mode: linkMode({ online: this.deps.isOnline(), reachable: this.reachable, live: this.transport.live() }),
      poll_interval_s: this.transport.pollIntervalS(),
      pending: this.outbox?.pendingCount() ?? 0,
    };
    const prev = this.lastStatus;
    if (prev.mode === next.mode && prev.poll_interval_s === next.poll_interval_s && prev.pending === next.pending)
      return;
    this.lastStatus = next;
    this.listeners.emit("status");
  }
}

/** One settings record per user; before the first sync a placeholder may coexist briefly. */
export function latestSettings(list: readonly Settings[]): Settings | undefined {
  let best: Settings | undefined;
  for (const s of list) if (!best || s.updated_at > best.updated_at) best = s;
  return best;
}
