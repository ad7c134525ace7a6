// In-memory stand-ins for everything the sync client reaches through SyncDeps:
// a manual clock + timers, a fake /api server (change feed, mutations,
// idempotency, scripted failures), fake WebSockets, device traits and
// environment events. Nothing here touches the real network or real time.
// The fake server is held to the Worker's OpenAPI document (./contract.ts):
// a request to a route the API doesn't have, or an answer the document
// doesn't allow, fails the test that made it.
import { afterEach, expect } from "vitest";
import type { FetchFn } from "../../web/src/api/http.ts";
import type { Change, InboxItem, ServerMessage, User } from "../../web/src/api/types.ts";
import { memoryCache, type Data, type SyncCache } from "../../web/src/sync/db.ts";
import type { DeviceTraits, EnvEvent, SocketLike, SyncDeps } from "../../web/src/sync/deps.ts";
import { createSyncStore, type SyncStore } from "../../web/src/sync/store.ts";
// The store loads this chunk on demand (a device with no cursor); loaded here, its import settles within flush().
import "../../web/src/sync/bootstrap.ts";
import { operationFor, requestBodyProblem, responseProblem } from "./contract.ts";

export const DESKTOP: DeviceTraits = { coarse: false, narrow: false, saveData: false };
export const PHONE: DeviceTraits = { coarse: true, narrow: true, saveData: false };

export const USER: User = {
  id: "u1",
  email: "ada@example.com",
  username: "ada",
  created_at: "2026-01-01T00:00:00.000Z",
};

const nextMacrotask: (fn: () => void) => void =
  (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => setTimeout(fn, 0));

/** Lets every pending promise chain run to completion (the fakes resolve in microtasks). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => nextMacrotask(r));
}

// ---- clock and timers --------------------------------------------------------

interface Timer {
  at: number;
  ms: number;
  fn: () => void;
}

export class ManualClock {
  now = Date.UTC(2026, 0, 1);
  private seq = 0;
  readonly timers = new Map<number, Timer>();

  setTimeout = (fn: () => void, ms: number): number => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, ms, fn });
    return id;
  };

  clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number);
  };

  /** Moves time forward, firing due timers in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    await flush();
    for (;;) {
      let nextId = -1;
      let next: Timer | undefined;
      for (const [id, t] of this.timers) if (t.at <= end && (!next || t.at < next.at)) [nextId, next] = [id, t];
      if (!next) break;
      this.timers.delete(nextId);
      this.now = next.at;
      next.fn();
      await flush();
    }
    this.now = end;
    await flush();
  }
}

// ---- WebSocket ---------------------------------------------------------------

type SocketEvent = "open" | "close" | "error" | "message";

export class FakeSocket implements SocketLike {
  readonly sent: unknown[] = [];
  closed = false;
  opened = false;
  private readonly listeners: Record<SocketEvent, Array<(ev: { data: unknown }) => void>> = {
    open: [],
    close: [],
    error: [],
    message: [],
  };

  constructor(readonly path: string) {}

  addEventListener(type: SocketEvent, listener: (ev: { data: unknown }) => void): void {
    this.listeners[type].push(listener);
  }

  send(data: string): void {
    if (this.closed) throw new Error("socket is closed");
    this.sent.push(JSON.parse(data));
  }

  /** Client-side close: like a browser, the close event follows asynchronously. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.fire("close"));
  }

  // server side
  open(): void {
    this.opened = true;
    this.fire("open");
  }
  receive(msg: ServerMessage): void {
    if (!this.closed) this.fire("message", { data: JSON.stringify(msg) });
  }
  receiveRaw(data: string): void {
    if (!this.closed) this.fire("message", { data });
  }
  /** The connection died (server restart, proxy, sleep). */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.fire("error");
    this.fire("close");
  }

  private fire(type: SocketEvent, ev: { data: unknown } = { data: undefined }): void {
    for (const l of Array.from(this.listeners[type])) l(ev);
  }
}

// ---- server ------------------------------------------------------------------

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
  at: number;
}

type Override = { match: (r: RecordedRequest) => boolean; reply: Reply | "network" };

/** Just the routes the tests write to: path prefix → entity. */
const routes: Array<[prefix: string, entity: string]> = [
  ["/api/user/inbox", "inbox_item"],
  ["/api/settings", "settings"],
];

/** The fake servers of the running test: each must end it without a contract violation. */
const servers = new Set<FakeServer>();
afterEach(() => {
  const violations = [...servers].flatMap((s) => s.violations);
  servers.clear();
  expect(violations, "the fake server left /api/openapi.json").toEqual([]);
});

export class FakeServer {
  seq = 0;
  /** Requests and answers that contradict /api/openapi.json (see ./contract.ts). */
  readonly violations: string[] = [];
  /** Cursors at or below this were pruned from the change log: `since` in (0, floor) → 410. */
  floor = 0;
  /** The server caps `limit` at this, so tests can force has_more. */
  maxPage = 1000;
  /** Called after each page of /api/sync/changes is answered (a compaction mid-walk, say). */
  afterChangesPage?: (req: RecordedRequest) => void;
  /** The server caps a snapshot's `split` (entries per range) at this, so tests can get several ranges. */
  maxSplit = 100_000;
  /** "network": every request fails before a response (offline, DNS, reset). */
  down = false;
  /** Broadcast commits to connected sockets. */
  live = true;
  /** Open sockets at once and greet them with hello. */
  acceptSockets = true;
  readonly log: Change[] = [];
  readonly records = new Map<string, Data>();
  readonly requests: RecordedRequest[] = [];
  readonly sockets: FakeSocket[] = [];
  private readonly idem = new Map<string, { fingerprint: string; reply: Reply }>();
  private readonly overrides: Override[] = [];
  private readonly holds: Array<{ match: (r: RecordedRequest) => boolean; until: Promise<void> }> = [];

  constructor(private readonly clock: ManualClock) {
    servers.add(this);
  }

  cursor(): string {
    return String(this.seq);
  }

  /** Commits a change as if another device made it; broadcasts it to live sockets. */
  commit(entity: string, id: string, op: "upsert" | "delete", data: Data | null): string {
    const prev = this.cursor();
    const key = `${entity}:${id}`;
    const version = Number(this.records.get(key)?.version ?? 0) + 1;
    // Whatever the test leaves out, a real server record has (the document's required fields).
    const full = op === "upsert" ? { ...defaultsOf(entity, this.clock.now), ...data, id, version } : null;
    if (full) this.records.set(key, full);
    else this.records.delete(key);
    const change: Change = { cursor: String(++this.seq), entity, id, op, version, data: full };
    this.log.push(change);
    if (this.live) {
      const msg: ServerMessage = { type: "changes", prev, cursor: change.cursor, changes: [change] };
      for (const s of this.sockets) if (s.opened) s.receive(msg);
    }
    return change.cursor;
  }

  /**
   * Retention: drop log entries before `floor` except each live record's
   * latest upsert (which a full reload still needs); `since` < floor → 410.
   */
  prune(floor: number): void {
    this.floor = floor;
    const latest = new Map<string, Change>();
    for (const c of this.log) latest.set(`${c.entity}:${c.id}`, c);
    const keep = this.log.filter(
      (c) => Number(c.cursor) >= floor || (c.op === "upsert" && latest.get(`${c.entity}:${c.id}`) === c),
    );
    this.log.splice(0, this.log.length, ...keep);
  }

  upsert(entity: string, id: string, data: Data): string {
    return this.commit(entity, id, "upsert", { ...this.records.get(`${entity}:${id}`), ...data });
  }

  /**
   * The next request matching `match` waits, unanswered, until the returned
   * function is called; it is then answered from the server's state at that time.
   */
  holdNext(match: (r: RecordedRequest) => boolean): () => void {
    let release!: () => void;
    this.holds.push({ match, until: new Promise<void>((r) => (release = r)) });
    return () => release();
  }

  /** Compaction: drops every entry a newer entry of the same record supersedes (as workers/jobs/prune.ts). */
  compact(): void {
    const latest = new Map<string, Change>();
    for (const c of this.log) latest.set(`${c.entity}:${c.id}`, c);
    const keep = this.log.filter((c) => latest.get(`${c.entity}:${c.id}`) === c);
    this.log.splice(0, this.log.length, ...keep);
  }

  /** The next request matching `match` gets `reply` instead of being handled. */
  failNext(reply: Reply | "network", match: (r: RecordedRequest) => boolean = () => true): void {
    this.overrides.push({ match, reply });
  }

  requestsTo(prefix: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix) && (!method || r.method === method));
  }

  pulls(): RecordedRequest[] {
    return this.requestsTo("/api/sync/changes");
  }

  /** Pages of GET /api/sync/snapshot (a device with no cursor loads everything from it). */
  snapshots(): RecordedRequest[] {
    return this.requestsTo("/api/sync/snapshot");
  }

  mutations(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  openSocket = (path: string): SocketLike => {
    const s = new FakeSocket(path);
    this.sockets.push(s);
    if (this.acceptSockets && !this.down)
      queueMicrotask(() => {
        s.open();
        s.receive({ type: "hello", cursor: this.cursor() });
      });
    else if (this.down) queueMicrotask(() => s.drop());
    return s;
  };

  fetch: FetchFn = async (input, init) => {
    const url = new URL(input, "http://app.test");
    const headers = new Headers(init?.headers);
    const req: RecordedRequest = {
      method: init?.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      at: this.clock.now,
    };
    this.requests.push(req);
    await Promise.resolve();
    const held = this.holds.findIndex((h) => h.match(req));
    if (held >= 0) await this.holds.splice(held, 1)[0]!.until;
    if (this.down) throw new TypeError("Failed to fetch");
    const i = this.overrides.findIndex((o) => o.match(req));
    let reply: Reply;
    if (i >= 0) {
      const [o] = this.overrides.splice(i, 1);
      if (o!.reply === "network") throw new TypeError("Failed to fetch");
      reply = o!.reply;
    } else {
      reply = this.handle(req);
    }
    const problem = responseProblem(req.method, req.path, reply.status, reply.body, i >= 0);
    if (problem) this.violations.push(problem);
    return fakeResponse(reply);
  };

  private handle(req: RecordedRequest): Reply {
    const op = operationFor(req.method, req.path);
    if (!op) {
      this.violations.push(`${req.method} ${req.path}: the API has no such operation`);
      return error(404, "not_found");
    }
    if (req.path === "/api/sync/changes" && req.method === "GET") return this.changes(req);
    if (req.path === "/api/sync/snapshot" && req.method === "GET") return this.snapshot(req);
    // As the real Worker: a body its schema refuses → 422, before anything runs.
    if (requestBodyProblem(op, req.body ?? {})) return error(422, "validation_failed");
    const key = req.headers.get("idempotency-key");
    const fingerprint = JSON.stringify([req.method, req.path, req.body, req.headers.get("if-match")]);
    if (key) {
      const seen = this.idem.get(key);
      if (seen && seen.fingerprint !== fingerprint) return error(422, "idempotency_key_reused");
      if (seen) return { ...seen.reply, headers: { ...seen.reply.headers, "Idempotent-Replayed": "true" } };
    }
    const reply = this.mutate(req);
    if (key && reply.status < 500) this.idem.set(key, { fingerprint, reply });
    return reply;
  }

  private changes(req: RecordedRequest): Reply {
    const current = this.cursor();
    if (req.headers.get("if-none-match")?.replaceAll('"', "") === current)
      return { status: 304, headers: { ETag: `"${current}"` } };
    const since = Number(req.query.get("since") ?? 0);
    if (since > this.seq) return error(400, "invalid_cursor");
    // A walk token (`<start>.<first cursor>`, routes/sync.ts) covering `since` skips the floor: this fake
    // never deletes a tombstone a walk needs (the real server keeps them a day past the floor).
    const walk = req.query.get("walk");
    const walking = walk !== null && Number(walk.split(".")[1]) <= since;
    if (!walking && since > 0 && since < this.floor) return error(410, "cursor_expired");
    const limit = Math.min(Number(req.query.get("limit") ?? 500), this.maxPage);
    const after = this.log.filter((c) => Number(c.cursor) > since);
    const page = after.slice(0, limit);
    const hasMore = after.length > limit;
    const cursor = hasMore ? page.at(-1)!.cursor : current;
    const body = { changes: page, cursor, has_more: hasMore, ...(hasMore ? { walk: walk ?? `1.${since}` } : {}) };
    this.afterChangesPage?.(req);
    return { status: 200, body, headers: { ETag: `"${cursor}"` } };
  }

  /** GET /api/sync/snapshot: the log newest first, below `before` (and above `after`); `split` names ranges. */
  private snapshot(req: RecordedRequest): Reply {
    const before = Number(req.query.get("before") ?? Number.MAX_SAFE_INTEGER);
    const after = Number(req.query.get("after") ?? 0);
    const limit = Math.min(Number(req.query.get("limit") ?? 1000), this.maxPage);
    const below = this.log.filter((c) => Number(c.cursor) < before && Number(c.cursor) > after).reverse();
    const page = below.slice(0, limit);
    const next = below.length > limit ? page.at(-1)!.cursor : null;
    const body: Record<string, unknown> = { changes: page, cursor: this.cursor(), floor: String(this.floor), next };
    const split = req.query.get("split");
    if (split !== null) {
      // As workers/data/changes.ts: every split-th entry below `before` is a range's lower end.
      const n = Math.min(Number(split), this.maxSplit);
      const ranges: Array<{ before: string; after: string | null }> = [];
      if (next !== null) {
        let upper = Number(next);
        for (let i = n - 1; i < below.length - 1; i += n) {
          const cut = Number(below[i]!.cursor);
          if (cut >= upper) continue;
          ranges.push({ before: String(upper), after: String(cut - 1) });
          upper = cut;
        }
        ranges.push({ before: String(upper), after: req.query.get("after") });
      }
      body.ranges = ranges;
    }
    return { status: 200, body };
  }

  private mutate(req: RecordedRequest): Reply {
    const route = routes.find(([prefix]) => req.path === prefix || req.path.startsWith(`${prefix}/`));
    if (!route) return error(404, "not_found");
    const [prefix, entity] = route;
    const id = req.path.slice(prefix.length + 1);
    const body = (req.body ?? {}) as Data;
    if (req.method === "POST") {
      if (typeof body.title !== "string" || !body.title.trim()) return error(422, "validation_failed");
      const recId = String(body.id);
      const values = { ...body, title: body.title.trim() };
      const existing = this.records.get(`${entity}:${recId}`);
      // As the real Worker (sync/write.ts): the same create again → 200 with the
      // record; other content under the same id → 409 id_conflict.
      if (existing)
        return Object.entries(values).every(([k, v]) => JSON.stringify(existing[k]) === JSON.stringify(v))
          ? this.written(200, this.cursor(), existing)
          : error(409, "id_conflict");
      const cursor = this.commit(entity, recId, "upsert", values);
      return this.written(201, cursor, this.records.get(`${entity}:${recId}`)!);
    }
    const recId = entity === "settings" ? "s1" : String(id);
    const current = this.records.get(`${entity}:${recId}`);
    if (!current) return error(404, "not_found");
    const ifMatch = req.headers.get("if-match");
    if (ifMatch && Number(ifMatch.replaceAll('"', "")) !== current.version)
      return error(409, "version_conflict", { current });
    if (req.method === "DELETE") {
      const cursor = this.commit(entity, recId, "delete", null);
      return { status: 204, headers: { "X-Sync-Cursor": cursor } };
    }
    if (typeof body.title === "string" && !body.title.trim()) return error(422, "validation_failed");
    // A partial update, as the real PUT: settings' nested groups merge field by field.
    const merged: Data = { ...current, updated_at: new Date(this.clock.now).toISOString() };
    for (const [k, v] of Object.entries(body))
      merged[k] =
        entity === "settings" && v && typeof v === "object" && !Array.isArray(v)
          ? { ...(current[k] as Data), ...(v as Data) }
          : v;
    const cursor = this.commit(entity, recId, "upsert", merged);
    return this.written(200, cursor, this.records.get(`${entity}:${recId}`)!);
  }

  private written(status: number, cursor: string, rec: Data): Reply {
    return { status, body: rec, headers: { "X-Sync-Cursor": cursor, ETag: `"${String(rec.version)}"` } };
  }
}

/** The fields a server record of `entity` always has (dates at the fake clock's now). */
function defaultsOf(entity: string, now: number): Data {
  const at = new Date(now).toISOString();
  if (entity === "inbox_item")
    return { created_at: at, updated_at: at, description: "", tags: [], done_at: null, archived_at: null };
  if (entity === "settings") return settingsRecord({});
  return { created_at: at, updated_at: at };
}

function error(status: number, code: string, details?: unknown, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message: `${code.replaceAll("_", " ")}`, details } }, headers };
}

export function errorReply(status: number, code: string, headers?: Record<string, string>): Reply {
  return error(status, code, undefined, headers);
}

function fakeResponse(reply: Reply): Response {
  const headers = new Headers(reply.headers);
  if (reply.body !== undefined) headers.set("content-type", "application/json");
  const body = reply.body === undefined ? undefined : structuredClone(reply.body);
  return {
    status: reply.status,
    ok: reply.status >= 200 && reply.status < 300,
    headers,
    json: async () => {
      if (body === undefined) throw new SyntaxError("Unexpected end of JSON input");
      return body;
    },
  } as unknown as Response;
}

// ---- environment -------------------------------------------------------------

export class FakeEnv {
  online = true;
  visible = true;
  device: DeviceTraits = { ...DESKTOP };
  private readonly listeners = new Map<EnvEvent, Set<() => void>>();

  on = (event: EnvEvent, fn: () => void): (() => void) => {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  };

  emit(event: EnvEvent): void {
    if (event === "online" || event === "offline") this.online = event === "online";
    if (event === "visible" || event === "hidden") this.visible = event === "visible";
    for (const fn of Array.from(this.listeners.get(event) ?? [])) fn();
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}

// ---- everything together -------------------------------------------------------

export interface Harness {
  clock: ManualClock;
  server: FakeServer;
  env: FakeEnv;
  cache: SyncCache;
  deps: SyncDeps;
  /** Values handed out by deps.random(), in turn; 0.5 when empty. */
  randoms: number[];
}

export function harness(opts: { device?: DeviceTraits; cache?: SyncCache } = {}): Harness {
  const clock = new ManualClock();
  const server = new FakeServer(clock);
  const env = new FakeEnv();
  if (opts.device) env.device = { ...opts.device };
  const cache = opts.cache ?? memoryCache();
  const randoms: number[] = [];
  let ids = 0;
  const deps: SyncDeps = {
    fetch: (input, init) => server.fetch(input, init),
    openSocket: (path) => server.openSocket(path),
    openCache: async () => cache,
    now: () => clock.now,
    random: () => randoms.shift() ?? 0.5,
    uuid: () => `uuid-${++ids}`,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    isOnline: () => env.online,
    isVisible: () => env.visible,
    device: () => ({ ...env.device }),
    on: env.on,
  };
  return { clock, server, env, cache, deps, randoms };
}

export async function startStore(h: Harness, user: User = USER): Promise<SyncStore> {
  const store = createSyncStore(h.deps);
  await store.start(user);
  await flush();
  return store;
}

/** A whole inbox item, as an optimistic record must be (Mutation<"inbox_item">). */
export function inboxItem(id: string, title: string, version = 0): InboxItem {
  const at = "2026-01-01T00:00:00.000Z";
  return {
    id,
    version,
    created_at: at,
    updated_at: at,
    title,
    description: "",
    tags: [],
    done_at: null,
    archived_at: null,
  };
}

export function settingsRecord(sync: { mode?: string; poll_interval_s?: number }): Data {
  return {
    updated_at: "2026-01-01T00:00:00.000Z",
    created_at: "2026-01-01T00:00:00.000Z",
    theme: "system",
    accessibility: { reduced_motion: false, high_contrast: false, font_scale: 1 },
    ui: {},
    sync: { mode: "auto", poll_interval_s: 30, ...sync },
    time_zone: null,
    accent: null,
  };
}

/** Times (relative to `from`) at which requests matching `pred` were made. */
export function times(reqs: RecordedRequest[], from: number): number[] {
  return reqs.map((r) => r.at - from);
}
