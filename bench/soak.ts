/**
 * `npm run soak -- --seconds N`: a bounded convergence soak against the real
 * local stack (bench/stack.ts: wrangler dev + embedded Postgres + relay).
 *
 * Several users × several devices drive the API through a faithful protocol
 * client (SPEC §3/§4): client-generated ids, one Idempotency-Key per mutation,
 * If-Match versions, an outbox replayed in order, a WebSocket for the fast
 * path and pull-by-cursor as the truth (some devices poll instead, like
 * phones). Faults: random socket drops, offline periods with queued
 * mutations, lost responses (retried with the same key), deliberate duplicate
 * retries (sequential and concurrent), and a Postgres restart mid-run (the
 * API answers 503 meanwhile; clients back off and retry).
 *
 * At the end every outbox is drained and the run asserts:
 *   - every device's view (built only from socket messages and the change
 *     feed) equals the server's state (GET lists);
 *   - the change feed folded from the start equals the server's state;
 *   - every acknowledged write is in the change feed at the cursor it was
 *     acknowledged with (no lost acknowledged write);
 *   - idempotent replays are exact and a key never runs twice; no record is
 *     created twice by retries;
 *   - no device ever saw another user's record; another user's ids are 404;
 *   - no 500s.
 * It prints the counts and exits non-zero on any violation.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import {
  configureNodeDriver,
  makeAgent,
  nodePool,
  seedUsers,
  send,
  signupUser,
  summarize,
  type Req,
  type Res,
  type TestUser,
} from "./lib.ts";
import {
  comparable,
  EXPECTED_CODES,
  ledgerViolations,
  marketAction,
  marketServerState,
  SERVER_CREATED,
  UNLISTED,
} from "./soak-market.ts";
import { sleep, startStack, type Stack } from "./stack.ts";

// ---- options ------------------------------------------------------------------------
const { values: opt } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    users: { type: "string", default: "4" },
    devices: { type: "string", default: "3" },
    seed: { type: "string" },
    restarts: { type: "string", default: "1" },
    "down-ms": { type: "string", default: "3000" },
    "drain-seconds": { type: "string", default: "100" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  process.stdout.write(`npm run soak -- [options]
  --seconds N        mutation phase length (default 20)
  --users N          users (default 4; the first 8 sign up through the API, more are seeded in SQL)
  --devices N        devices per user (default 3; the last device of each user polls, the others hold a socket)
  --seed N           PRNG seed for the action schedule (default: random, printed)
  --restarts N       Postgres restarts during the run (default 1)
  --down-ms N        how long Postgres stays down each time (default 3000)
  --drain-seconds N  upper bound for draining outboxes at the end (default 100; an ambiguous commit can
                     hold its Idempotency-Key "in progress" for 60 s)
  --verbose          log every fault as it happens
`);
  process.exit(0);
}
const SECONDS = Math.max(5, Number(opt.seconds));
const USERS = Math.max(2, Number(opt.users));
const DEVICES = Math.max(2, Number(opt.devices));
const SEED = opt.seed !== undefined ? Number(opt.seed) : Math.floor(Math.random() * 2 ** 31);
const RESTARTS = Math.max(0, Number(opt.restarts));
const DOWN_MS = Math.max(500, Number(opt["down-ms"]));
const DRAIN_MS = Math.max(10, Number(opt["drain-seconds"])) * 1000;
const VERBOSE = opt.verbose;
const HARD_LIMIT_MS = (SECONDS + DRAIN_MS / 1000 + 240) * 1000;

const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[soak +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const vlog = (m: string) => VERBOSE && log(m);
setTimeout(() => {
  log("hard time limit reached; aborting");
  process.kill(process.pid, "SIGTERM");
}, HARD_LIMIT_MS).unref();

// ---- deterministic randomness (timing is still real) ---------------------------------
let rngState = SEED >>> 0;
function rand(): number {
  // mulberry32
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
const chance = (p: number) => rand() < p;
const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[Math.floor(rand() * xs.length)] : undefined);

// ---- counters and violations ---------------------------------------------------------
const counts = {
  mutations: 0,
  acknowledged: 0,
  rejected4xx: 0,
  conflicts: 0,
  notFound: 0,
  idConflicts: 0,
  retries: 0,
  s503: 0,
  inProgress409: 0,
  networkErrors: 0,
  lostResponses: 0,
  replaysVerified: 0,
  duplicateRetries: 0,
  concurrentDuplicates: 0,
  reconnects: 0,
  socketDrops: 0,
  offlinePeriods: 0,
  socketMessages: 0,
  socketGaps: 0,
  pulls: 0,
  polls304: 0,
  cursorExpired: 0,
  dbRestarts: 0,
  /** Idempotency claims left "in progress" by requests that died with the database (seen right after restart). */
  orphanedClaims: 0,
  s500: 0,
  marketRefusals: 0,
};
const violations: string[] = [];
const violate = (m: string) => {
  if (violations.length < 200) violations.push(m);
  log(`VIOLATION: ${m}`);
};

// ---- model -------------------------------------------------------------------------
type Wire = Record<string, unknown> & { id: string; version: number };
interface Change {
  cursor: string;
  entity: string;
  id: string;
  op: "upsert" | "delete";
  version: number;
  data: Wire | null;
}

interface Mutation {
  key: string;
  enqueuedAt: number;
  kind: "create" | "update" | "delete" | "settings" | "market";
  req: Req;
  recordId?: string;
  attempts: number;
  /** A deliberately dropped response, to compare with the replay. */
  lost?: Res;
}

interface Ack {
  user: number;
  kind: Mutation["kind"];
  id: string;
  status: number;
  cursor?: string;
  version?: number;
}
const acks: Ack[] = [];
/** Enqueue → settled (acknowledged or rejected), ms: how long a mutation waited, retries and outages included. */
const settleTimes: number[] = [];

interface UserCtx {
  idx: number;
  user: TestUser;
  /** Every id any of this user's devices created (client-generated), plus the settings id. */
  ids: Set<string>;
  settingsId?: string;
  devices: Device[];
}

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;
const canon = (v: unknown) => JSON.stringify(sortKeys(v));

let stack: Stack;
const phase = { running: true }; // the mutation phase
let dbDown = false;

class Device {
  readonly u: UserCtx;
  readonly idx: number;
  readonly name: string;
  readonly poller: boolean;
  readonly agent: http.Agent;
  online = true;
  alive = true; // loops run while true
  cursor = 0;
  view = new Map<string, Wire>(); // "entity:id" → record
  outbox: Mutation[] = [];
  ws: WebSocket | null = null;
  wsBackoff = 250;
  pulling: Promise<void> | null = null;
  pullAgain = false;
  nonce = 0;

  constructor(u: UserCtx, idx: number) {
    this.u = u;
    this.idx = idx;
    this.name = `u${u.idx}d${idx}`;
    this.poller = idx === DEVICES - 1;
    this.agent = makeAgent(4);
  }

  auth(): Record<string, string> {
    return { authorization: `Bearer ${this.u.user.token}`, "x-client-id": this.name };
  }

  async http(req: Req): Promise<Res> {
    const res = await send(stack.baseUrl, this.agent, req, 10_000);
    if (res.status === 500) {
      counts.s500++;
      violate(`500 from ${req.method} ${req.path}: ${res.text.slice(0, 200)}`);
    }
    return res;
  }

  // -- applying the feed --------------------------------------------------------
  apply(changes: Change[], source: string): void {
    for (const ch of changes) {
      const c = Number(ch.cursor);
      if (c <= this.cursor) continue; // already applied (own echo, overlap with a pull)
      if (c !== this.cursor + 1) violate(`${this.name}: cursor jump ${this.cursor} → ${c} via ${source}`);
      if (!this.u.ids.has(ch.id) && ch.id !== this.u.settingsId && !SERVER_CREATED.has(ch.entity))
        violate(`${this.name}: foreign record ${ch.entity}:${ch.id} via ${source} (cross-user leakage?)`);
      const key = `${ch.entity}:${ch.id}`;
      if (ch.op === "upsert" && ch.data) this.view.set(key, ch.data);
      else this.view.delete(key);
      this.cursor = c;
    }
  }

  onSocketMessage(raw: string): void {
    counts.socketMessages++;
    const m = JSON.parse(raw) as { type: string; cursor?: string; prev?: string; changes?: Change[] };
    if (m.type === "hello") {
      if (Number(m.cursor) !== this.cursor) this.requestPull();
    } else if (m.type === "changes") {
      if (Number(m.prev) === this.cursor) this.apply(m.changes ?? [], "socket");
      else if (Number(m.cursor) > this.cursor) {
        counts.socketGaps++;
        this.requestPull(); // a gap: close it by cursor
      }
    }
  }

  requestPull(): void {
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = (async () => {
      try {
        do {
          this.pullAgain = false;
          await this.pullOnce();
        } while (this.pullAgain && this.alive);
      } finally {
        this.pulling = null;
      }
    })();
  }

  /** Pull by cursor until has_more is false. Failures leave the cursor as is (the next pull retries). */
  async pullOnce(): Promise<boolean> {
    if (!this.online) return false;
    for (let page = 0; page < 1000; page++) {
      counts.pulls++;
      const since = this.cursor;
      const res = await this.http({
        method: "GET",
        path: `/api/sync/changes?since=${since}&limit=200`,
        headers: { ...this.auth(), "if-none-match": `"${since}"` },
      }).catch(() => null);
      if (!res) return false;
      if (res.status === 304) {
        counts.polls304++;
        return true;
      }
      if (res.status === 410) {
        counts.cursorExpired++;
        this.view.clear();
        this.cursor = 0;
        continue;
      }
      if (res.status !== 200) return false;
      const body = res.json() as { changes: Change[]; cursor: string; has_more: boolean };
      this.apply(body.changes, "pull");
      if (!body.has_more) {
        const c = Number(body.cursor);
        // The reported cursor may only run ahead of the last entry when tombstones were pruned (never in a soak).
        if (c > this.cursor) violate(`${this.name}: feed reports cursor ${c} but its last entry is ${this.cursor}`);
        this.cursor = Math.max(this.cursor, c);
        return true;
      }
    }
    return true;
  }

  // -- socket ---------------------------------------------------------------------
  connect(): void {
    if (this.poller || !this.online || !this.alive || this.ws) return;
    const ws = new WebSocket(stack.baseUrl.replace(/^http/, "ws") + "/api/sync/ws", { headers: this.auth() });
    this.ws = ws;
    let opened = false;
    ws.on("open", () => {
      opened = true;
      this.wsBackoff = 250;
    });
    ws.on("message", (d) => this.onSocketMessage(String(d)));
    ws.on("unexpected-response", (_req, res) => {
      if (res.statusCode === 500) violate(`${this.name}: socket upgrade 500`);
      res.resume();
      ws.terminate();
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      if (this.ws === ws) this.ws = null;
      if (!this.alive || !this.online) return;
      // Reconnect with backoff + jitter.
      const wait = opened ? between(50, 300) : this.wsBackoff * between(0.5, 1.5);
      if (!opened) this.wsBackoff = Math.min(4000, this.wsBackoff * 2);
      setTimeout(() => {
        if (this.alive && this.online && !this.ws) {
          counts.reconnects++;
          this.connect();
        }
      }, wait);
    });
  }

  drop(): void {
    counts.socketDrops++;
    vlog(`${this.name}: socket drop`);
    this.ws?.terminate();
  }

  async goOffline(ms: number): Promise<void> {
    counts.offlinePeriods++;
    vlog(`${this.name}: offline for ${ms.toFixed(0)} ms`);
    this.online = false;
    this.ws?.terminate();
    this.ws = null;
    await sleep(ms);
    this.online = true;
    this.connect();
    this.requestPull(); // SPEC §4: pull on `online`
  }

  // -- mutations --------------------------------------------------------------------
  inboxItems(): Wire[] {
    return [...this.view.entries()].filter(([k]) => k.startsWith("inbox_item:")).map(([, v]) => v);
  }

  enqueue(kind: Mutation["kind"], req: Req, recordId?: string): void {
    counts.mutations++;
    const key = randomUUID();
    req.headers = { ...this.auth(), ...req.headers, "idempotency-key": key };
    this.outbox.push({ key, kind, req, recordId, attempts: 0, enqueuedAt: Date.now() });
  }

  randomAction(): void {
    if (chance(0.2)) {
      const market = { view: this.view, ids: this.u.ids, http: (q: Req) => this.http(q), auth: () => this.auth() };
      return this.enqueue("market", marketAction(market, rand));
    }
    const r = rand();
    const items = this.inboxItems();
    if (r < 0.4 || items.length === 0) {
      const id = randomUUID();
      const nonce = `${this.name}-n${this.nonce++}`;
      this.u.ids.add(id);
      this.enqueue(
        "create",
        {
          method: "POST",
          path: "/api/user/inbox",
          body: { id, title: `${nonce} v1`, description: nonce, tags: [this.name] },
        },
        id,
      );
    } else if (r < 0.7) {
      const it = pick(items)!;
      const headers: Record<string, string> = {};
      const body: Record<string, unknown> = {
        title: `${String(it.description)} e${this.nonce++}`,
        tags: [this.name, "edited"],
      };
      const how = rand();
      if (how < 0.7) headers["if-match"] = `"${it.version}"`;
      else if (how < 0.9) body.version = it.version;
      // else: no precondition (last write wins)
      this.enqueue("update", { method: "PUT", path: `/api/user/inbox/${it.id}`, headers, body }, it.id);
    } else if (r < 0.82) {
      const it = pick(items)!;
      const headers: Record<string, string> = chance(0.85) ? { "if-match": `"${it.version}"` } : {};
      this.enqueue("delete", { method: "DELETE", path: `/api/user/inbox/${it.id}`, headers }, it.id);
    } else {
      const s = [...this.view.entries()].find(([k]) => k.startsWith("settings:"))?.[1];
      const headers: Record<string, string> = s && chance(0.5) ? { "if-match": `"${s.version}"` } : {};
      const theme = pick(["light", "dark", "system"]);
      this.enqueue("settings", {
        method: "PUT",
        path: "/api/settings",
        headers,
        body: { theme, ui: { [this.name]: this.nonce++ } },
      });
    }
  }

  /** Sends the outbox head, in order; returns when the outbox is empty or the device stops. */
  async outboxLoop(): Promise<void> {
    let backoff = 200;
    while (this.alive) {
      const m = this.outbox[0];
      if (!m || !this.online) {
        await sleep(50);
        continue;
      }
      const outcome = await this.attempt(m);
      if (outcome === "done") {
        this.outbox.shift();
        settleTimes.push(Date.now() - m.enqueuedAt);
        backoff = 200;
      } else {
        counts.retries++;
        await sleep(backoff * between(0.5, 1.5));
        backoff = Math.min(3000, backoff * 2);
      }
    }
  }

  async attempt(m: Mutation): Promise<"done" | "retry"> {
    m.attempts++;
    // Fault: occasionally two copies of the same request at once.
    if (m.attempts === 1 && chance(0.03)) return this.concurrentDuplicate(m);
    let res: Res;
    try {
      res = await this.http(m.req);
    } catch {
      counts.networkErrors++;
      return "retry";
    }
    // Fault: the response is "lost" on the way back; the client must retry with the same key.
    if (!m.lost && res.status < 500 && res.status !== 409 && chance(0.05)) {
      counts.lostResponses++;
      m.lost = res;
      vlog(`${this.name}: lost response ${res.status} for ${m.kind}`);
      return "retry";
    }
    return this.settle(m, res);
  }

  settle(m: Mutation, res: Res): "done" | "retry" {
    if (res.status === 503) {
      counts.s503++;
      return "retry";
    }
    if (res.status >= 500 || res.status === 429) return "retry";
    let code = "";
    try {
      code = res.status >= 400 ? String(res.json().error?.code ?? "") : "";
    } catch {
      // not JSON
    }
    if (res.status === 409 && code === "idempotency_in_progress") {
      counts.inProgress409++;
      return "retry";
    }
    if (m.lost) {
      // This is the retry of a lost response: it must be the exact replay.
      counts.replaysVerified++;
      if (res.headers["idempotent-replayed"] !== "true" || res.status !== m.lost.status || res.text !== m.lost.text)
        violate(
          `${this.name}: replay after lost response differs (${m.lost.status} → ${res.status}, replayed=${res.headers["idempotent-replayed"]})`,
        );
    }
    if (res.status >= 200 && res.status < 300) {
      this.recordAck(m, res);
      // Fault: a deliberate duplicate retry of an acknowledged request.
      if (chance(0.1)) void this.duplicateRetry(m, res);
      return "done";
    }
    // A 4xx the server rejected: dropped from the outbox (the user is told).
    counts.rejected4xx++;
    if (code === "version_conflict") counts.conflicts++;
    else if (code === "not_found") counts.notFound++;
    else if (code === "id_conflict") counts.idConflicts++;
    else if (m.kind === "market" && EXPECTED_CODES.has(code)) counts.marketRefusals++;
    else
      violate(
        `${this.name}: unexpected ${res.status} ${code} for ${m.kind} ${m.req.method} ${m.req.path}: ${res.text.slice(0, 200)}`,
      );
    return "done";
  }

  recordAck(m: Mutation, res: Res): void {
    counts.acknowledged++;
    // Market writes touch several records (checked by the ledger invariants at the end).
    if (m.kind === "market") return;
    const cursor = res.headers["x-sync-cursor"] as string | undefined;
    let id = m.recordId ?? "";
    let version: number | undefined;
    if (res.status !== 204) {
      const body = res.json() as Wire;
      id = body.id;
      version = body.version;
      if (m.kind === "settings") this.u.settingsId ??= body.id;
    }
    acks.push({ user: this.u.idx, kind: m.kind, id, status: res.status, cursor, version });
  }

  async duplicateRetry(m: Mutation, first: Res): Promise<void> {
    for (let i = 0; i < 20 && this.alive; i++) {
      const res = await this.http(m.req).catch(() => null);
      if (!res || res.status >= 500 || (res.status === 409 && res.text.includes("idempotency_in_progress"))) {
        await sleep(300);
        continue;
      }
      counts.duplicateRetries++;
      if (res.headers["idempotent-replayed"] !== "true" || res.status !== first.status || res.text !== first.text)
        violate(`${this.name}: duplicate retry of ${m.kind} not an exact replay (${first.status} → ${res.status})`);
      return;
    }
  }

  async concurrentDuplicate(m: Mutation): Promise<"done" | "retry"> {
    counts.concurrentDuplicates++;
    const [a, b] = await Promise.all([this.http(m.req).catch(() => null), this.http(m.req).catch(() => null)]);
    const executed = [a, b].filter((r) => r && r.status < 300 && r.headers["idempotent-replayed"] !== "true");
    if (executed.length > 1)
      violate(`${this.name}: one Idempotency-Key executed twice (concurrent duplicate ${m.kind})`);
    // Settle on a definitive answer if there is one; otherwise retry (same key).
    const final = [a, b].find(
      (r) => r && r.status < 500 && !(r.status === 409 && r.text.includes("idempotency_in_progress")),
    );
    if (!final) {
      if (a?.status === 503 || b?.status === 503) counts.s503++;
      return "retry";
    }
    return this.settle(m, final);
  }

  // -- the device's life ------------------------------------------------------------
  async actLoop(): Promise<void> {
    while (phase.running) {
      await sleep(between(250, 900));
      if (!phase.running) break;
      const r = rand();
      // A person edits at human speed: no new edits while the device is
      // visibly behind (keeps a long soak's queues bounded near capacity).
      if (r < 0.85) {
        if (this.outbox.length < (this.online ? 4 : 20)) this.randomAction();
      } else if (r < 0.93 && this.ws) this.drop();
      else if (r < 0.96 && this.online) void this.goOffline(between(800, 3500)); // keeps acting: mutations queue up
    }
  }

  /** Phones poll; desktops pull as a safety net (scaled down from SPEC's 60 s). */
  async pollLoop(): Promise<void> {
    while (this.alive) {
      await sleep(this.poller ? between(700, 1500) : between(2500, 4000));
      if (this.online) this.requestPull();
    }
  }
}

// ---- the run -----------------------------------------------------------------------------
async function serverState(u: UserCtx): Promise<Map<string, Wire> | null> {
  const d = u.devices[0]!;
  const state = new Map<string, Wire>();
  for (let page = 1; page <= 100; page++) {
    const res = await d.http({ method: "GET", path: `/api/user/inbox?page=${page}&page_size=100`, headers: d.auth() });
    if (res.status !== 200) return null;
    const body = res.json() as { items: Wire[]; total: number };
    for (const it of body.items) {
      if (state.has(`inbox_item:${it.id}`)) violate(`user ${u.idx}: item ${it.id} listed twice`);
      state.set(`inbox_item:${it.id}`, it);
    }
    if (body.items.length < 100) break;
  }
  const s = await d.http({ method: "GET", path: "/api/settings", headers: d.auth() });
  if (s.status !== 200) return null;
  const settings = s.json() as Wire;
  state.set(`settings:${settings.id}`, settings);
  const market = await marketServerState(d);
  if (!market) return null;
  for (const [k, v] of market) state.set(k, v);
  return state;
}

async function fullFeed(u: UserCtx): Promise<Change[] | null> {
  const d = u.devices[0]!;
  const out: Change[] = [];
  let since = 0;
  for (let i = 0; i < 1000; i++) {
    const res = await d.http({ method: "GET", path: `/api/sync/changes?since=${since}&limit=1000`, headers: d.auth() });
    if (res.status !== 200) return null;
    const body = res.json() as { changes: Change[]; cursor: string; has_more: boolean };
    out.push(...body.changes);
    since = Number(body.cursor);
    if (!body.has_more) return out;
  }
  return out;
}

async function retryUntil<T>(what: string, fn: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`${what}: no answer within ${ms} ms`);
    await sleep(300);
  }
}

async function restartPostgres(): Promise<void> {
  counts.dbRestarts++;
  log(`stopping Postgres (down for ${DOWN_MS} ms)`);
  dbDown = true;
  await stack.db.stopPostgres();
  await sleep(DOWN_MS);
  await stack.db.startPostgres();
  dbDown = false;
  // Idempotency claims whose request died with the database: until they go
  // stale, retries of those keys get 409 idempotency_in_progress.
  const pool = nodePool(stack.db.url);
  try {
    const r = await pool.query("select count(*)::int as n from idempotency_keys where status is null");
    counts.orphanedClaims += Number(r.rows[0]?.n ?? 0);
  } catch {
    // diagnostics only
  } finally {
    await pool.end().catch(() => {});
  }
  log("Postgres is back");
}

async function main(): Promise<void> {
  log(`seed ${SEED}; ${USERS} users × ${DEVICES} devices; ${SECONDS} s; ${RESTARTS} Postgres restart(s)`);
  stack = await startStack({ log });
  configureNodeDriver(stack.db.wsProxy);
  try {
    await run();
  } finally {
    await stack.stop();
  }
}

async function run(): Promise<void> {
  // Users: the real signup path (rate limited per IP: 10/min), SQL-seeded beyond that.
  const agent = makeAgent(2);
  const viaApi = Math.min(USERS, 8);
  const tag = SEED.toString(36).slice(0, 6);
  const users: TestUser[] = [];
  for (let i = 0; i < viaApi; i++) users.push(await signupUser(stack.baseUrl, agent, `soak_${tag}_${i}`));
  if (USERS > viaApi) users.push(...(await seedUsers(stack.db.url, stack.db.wsProxy, USERS - viaApi, `soakx_${tag}`)));
  agent.destroy();

  const ctxs: UserCtx[] = users.map((user, idx) => ({ idx, user, ids: new Set(), devices: [] }));
  for (const u of ctxs) {
    for (let d = 0; d < DEVICES; d++) u.devices.push(new Device(u, d));
    const s = await u.devices[0]!.http({ method: "GET", path: "/api/settings", headers: u.devices[0]!.auth() });
    u.settingsId = (s.json() as Wire).id;
  }
  const devices = ctxs.flatMap((u) => u.devices);
  for (const d of devices) {
    d.connect();
    d.requestPull();
  }

  // Mutation phase, with Postgres restart(s) spread over it.
  log("mutation phase");
  const loops = devices.flatMap((d) => [d.outboxLoop(), d.pollLoop()]);
  const acting = Promise.all(devices.map((d) => d.actLoop()));
  const phaseStart = Date.now();
  const restarts = (async () => {
    for (let i = 0; i < RESTARTS; i++) {
      const at = ((i + 1) / (RESTARTS + 1)) * SECONDS * 1000 * between(0.8, 1.1);
      await sleep(Math.max(0, phaseStart + at - Date.now()));
      if (!phase.running) break;
      await restartPostgres();
    }
  })();
  const progress = setInterval(() => {
    const queued = devices.reduce((n, d) => n + d.outbox.length, 0);
    log(
      `mutations ${counts.mutations}, acked ${counts.acknowledged}, queued ${queued}, 503s ${counts.s503}, reconnects ${counts.reconnects}${dbDown ? " (Postgres down)" : ""}`,
    );
  }, 5000);
  await sleep(SECONDS * 1000);
  phase.running = false;
  await acting;
  await restarts;

  // Drain: everyone online, every outbox empty.
  log("draining outboxes");
  const drainEnd = Date.now() + DRAIN_MS;
  while (devices.some((d) => d.outbox.length > 0 || !d.online) && Date.now() < drainEnd) await sleep(200);
  clearInterval(progress);
  const stuck = devices.filter((d) => d.outbox.length > 0);
  for (const d of stuck)
    violate(
      `${d.name}: outbox not drained within ${DRAIN_MS / 1000} s (${d.outbox.length} left: ${d.outbox[0]?.kind})`,
    );

  // Let duplicate retries finish, sockets settle, then final pulls.
  await sleep(1500);
  for (const d of devices) d.connect();
  await sleep(1000);
  for (let round = 0; round < 2; round++) {
    await Promise.all(
      devices.map(async (d) => {
        while (d.pulling) await d.pulling;
        await retryUntil(`${d.name} final pull`, async () => ((await d.pullOnce()) ? true : null));
      }),
    );
    await sleep(500);
  }
  for (const d of devices) {
    d.alive = false;
    d.ws?.terminate();
  }
  await Promise.race([Promise.all(loops), sleep(5000)]);

  // ---- checks ----
  log("checking convergence");
  let records = 0;
  for (const u of ctxs) {
    const server = await retryUntil(`user ${u.idx} server state`, () => serverState(u));
    const feed = await retryUntil(`user ${u.idx} feed`, () => fullFeed(u));
    records += server.size;

    // Feed folded from the start == server state.
    const folded = new Map<string, Wire>();
    const createdBy = new Map<string, Set<string>>(); // nonce → ids
    const creates = new Map<string, number>();
    feed.forEach((ch, i) => {
      if (Number(ch.cursor) !== i + 1) violate(`user ${u.idx}: feed cursor ${ch.cursor} at position ${i + 1}`);
      if (!u.ids.has(ch.id) && ch.id !== u.settingsId && !SERVER_CREATED.has(ch.entity))
        violate(`user ${u.idx}: foreign record ${ch.id} in feed`);
      const key = `${ch.entity}:${ch.id}`;
      if (ch.op === "upsert" && ch.data) {
        folded.set(key, ch.data);
        if (ch.version === 1 && ch.entity === "inbox_item") {
          creates.set(ch.id, (creates.get(ch.id) ?? 0) + 1);
          const nonce = String(ch.data.description);
          const set = createdBy.get(nonce) ?? new Set<string>();
          set.add(ch.id);
          createdBy.set(nonce, set);
        }
      } else folded.delete(key);
    });
    compare(`user ${u.idx}: feed fold vs server`, folded, server);
    for (const v of ledgerViolations(`user ${u.idx}`, server)) violate(v);
    for (const [id, n] of creates) if (n > 1) violate(`user ${u.idx}: record ${id} created ${n} times`);
    for (const [nonce, ids] of createdBy)
      if (ids.size > 1) violate(`user ${u.idx}: create ${nonce} produced ${ids.size} records`);
    const serverNonces = new Map<string, number>();
    for (const [k, v] of server)
      if (k.startsWith("inbox_item:"))
        serverNonces.set(String(v.description), (serverNonces.get(String(v.description)) ?? 0) + 1);
    for (const [nonce, n] of serverNonces) if (n > 1) violate(`user ${u.idx}: ${n} records for one create (${nonce})`);

    // Every acknowledged write is in the feed where its ack said.
    const byCursor = new Map(feed.map((ch) => [ch.cursor, ch]));
    for (const a of acks.filter((x) => x.user === u.idx)) {
      if (a.cursor === undefined) {
        // A create answered 200 (the id already existed with the same content): it must be in the feed.
        if (!feed.some((ch) => ch.id === a.id))
          violate(`user ${u.idx}: acknowledged ${a.kind} ${a.id} missing from the feed`);
        continue;
      }
      const ch = byCursor.get(a.cursor);
      if (!ch || ch.id !== a.id) {
        violate(
          `user ${u.idx}: acknowledged ${a.kind} ${a.id} not at cursor ${a.cursor} (found ${ch?.id ?? "nothing"})`,
        );
        continue;
      }
      if (a.kind === "delete" ? ch.op !== "delete" : ch.op !== "upsert" || ch.version !== a.version)
        violate(`user ${u.idx}: acknowledged ${a.kind} ${a.id} v${a.version} but feed has ${ch.op} v${ch.version}`);
    }

    // Every device's view == server state.
    for (const d of u.devices) compare(`${d.name}: device view vs server`, d.view, server);
  }

  // Another user's ids are 404 (read and write).
  for (const u of ctxs) {
    const other = ctxs[(u.idx + 1) % ctxs.length]!;
    const foreign = [...other.ids][0];
    if (!foreign) continue;
    const d = u.devices[0]!;
    const get = await d.http({ method: "GET", path: `/api/user/inbox/${foreign}`, headers: d.auth() });
    const put = await d.http({
      method: "PUT",
      path: `/api/user/inbox/${foreign}`,
      headers: { ...d.auth(), "idempotency-key": randomUUID() },
      body: { title: "not yours" },
    });
    if (get.status !== 404 || put.status !== 404)
      violate(`user ${u.idx} reached user ${other.idx}'s record: GET ${get.status}, PUT ${put.status}`);
  }

  const wall = (Date.now() - t0) / 1000;
  const st = summarize(settleTimes);
  const rows = Object.entries(counts).map(([k, v]) => `  ${k.padEnd(22)} ${v}`);
  rows.push(
    `  ${"outbox wait ms".padEnd(22)} p50 ${st.p50.toFixed(0)} · p99 ${st.p99.toFixed(0)} · max ${st.max.toFixed(0)} (enqueue → settled, retries and outages included)`,
  );
  process.stdout.write(
    `\nSoak: seed ${SEED}, ${USERS} users × ${DEVICES} devices (the last device of each user polls), ${SECONDS} s mutations, wall ${wall.toFixed(0)} s, ${records} records at the end\n${rows.join("\n")}\n`,
  );
  if (violations.length) {
    process.stdout.write(`\n${violations.length} violation(s):\n${violations.map((v) => `  - ${v}`).join("\n")}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write("\nConverged: every device equals the server; no lost, duplicated or leaked write.\n");
  }
}

function compare(label: string, got: Map<string, Wire>, want: Map<string, Wire>): void {
  const diffs: string[] = [];
  for (const [k, v] of want) {
    const g = got.get(k);
    if (!g) diffs.push(`missing ${k}`);
    else if (canon(comparable(k, g)) !== canon(comparable(k, v)))
      diffs.push(`differs ${k}: ${canon(g).slice(0, 160)} ≠ ${canon(v).slice(0, 160)}`);
  }
  for (const k of got.keys()) if (!want.has(k) && !UNLISTED.has(k.split(":")[0]!)) diffs.push(`extra ${k}`);
  if (diffs.length) violate(`${label}: ${diffs.length} difference(s): ${diffs.slice(0, 3).join("; ")}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error("[soak] failed:", err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
