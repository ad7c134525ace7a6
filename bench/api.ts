/**
 * The API sections of the bench: `SELECT 1` baselines from Node, the closed-
 * loop latency/throughput matrix, database round trips per request (the
 * `X-Db-Queries` header) and idle polling.
 */
import { randomUUID } from "node:crypto";
import { CELL_MS, CONCURRENCY, log, QUICK, ROUNDS, warmupFor } from "./config.ts";
import {
  configureNodeDriver,
  fmt,
  load,
  makeAgent,
  nodePool,
  queriesLabel,
  send,
  summarize,
  type LoadResult,
  type Req,
  type Summary,
  type TestUser,
} from "./lib.ts";
import type { Stack } from "./stack.ts";

export interface Cell {
  route: string;
  conc: number;
  r: LoadResult;
  s: Summary;
}

export async function selectOneBaselines(stack: Stack) {
  configureNodeDriver(stack.db.directWsProxy);
  // (a) round trips on open connections, at each benchmark concurrency
  // (c connections, each looping `select 1`): the DB + stand-in floor.
  const held: Record<number, Summary> = {};
  for (const conc of CONCURRENCY) {
    const pool = nodePool(stack.db.url, conc);
    const clients = await Promise.all(Array.from({ length: conc }, () => pool.connect()));
    const lat: number[] = [];
    const warmEnd = performance.now() + 300;
    const end = warmEnd + (QUICK ? 700 : 1500);
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await client.query("select 1");
          const t1 = performance.now();
          if (t1 >= warmEnd && t1 <= end) lat.push(t1 - t0);
        }
      }),
    );
    for (const c of clients) c.release();
    await pool.end();
    held[conc] = summarize(lat);
  }
  // (b) new pool → connect (WebSocket + password auth) → select 1 → end, as each Worker request does
  const fresh: number[] = [];
  for (let i = 0; i < (QUICK ? 20 : 40); i++) {
    const t0 = performance.now();
    const p = nodePool(stack.db.url);
    await p.query("select 1");
    fresh.push(performance.now() - t0);
    await p.end();
  }
  return { held, fresh: summarize(fresh) };
}

export function routeRequests(users: TestUser[]) {
  const auth = (slot: number) => ({ authorization: `Bearer ${users[slot % users.length]!.token}` });
  const themes = ["light", "dark", "system"] as const;
  return {
    "GET /api/ping (no DB)": (_s: number): Req => ({ method: "GET", path: "/api/ping" }),
    "GET /api/health (SELECT 1)": (_s: number): Req => ({ method: "GET", path: "/api/health" }),
    "GET /api/user/inbox": (s: number): Req => ({ method: "GET", path: "/api/user/inbox", headers: auth(s) }),
    "POST /api/user/inbox": (s: number, i: number): Req => ({
      method: "POST",
      path: "/api/user/inbox",
      headers: { ...auth(s), "idempotency-key": randomUUID() },
      body: { id: randomUUID(), title: `bench item ${s}/${i}`, tags: ["bench"] },
    }),
    "PUT /api/settings": (s: number, i: number): Req => ({
      method: "PUT",
      path: "/api/settings",
      headers: { ...auth(s), "idempotency-key": randomUUID() },
      body: { theme: themes[i % 3], ui: { bench: i } },
    }),
    "POST /api/market/purchases": (s: number): Req => ({
      method: "POST",
      path: "/api/market/purchases",
      headers: { ...auth(s), "idempotency-key": randomUUID() },
      body: { item_id: "00000000-0000-4000-8000-00000000c002", id: randomUUID() }, // a 15-coin consumable
    }),
  } as const;
}

/**
 * Cells run in ROUNDS interleaved passes (route × concurrency, then again), so
 * a burst of load from something else on the machine spreads over all cells
 * instead of skewing one route against its baseline.
 */
export async function apiMatrix(stack: Stack, users: TestUser[]): Promise<Cell[]> {
  const routes = Object.entries(routeRequests(users));
  const acc = new Map<string, { route: string; conc: number; parts: LoadResult[] }>();
  const cells: Cell[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [route, make] of routes) {
      for (const conc of CONCURRENCY) {
        const r = await load({
          baseUrl: stack.baseUrl,
          conc,
          warmupMs: warmupFor(conc),
          durationMs: CELL_MS / ROUNDS,
          make,
        });
        const k = `${route}|${conc}`;
        if (!acc.has(k)) acc.set(k, { route, conc, parts: [] });
        acc.get(k)!.parts.push(r);
      }
    }
    log(`API matrix: round ${round + 1}/${ROUNDS} done`);
  }
  for (const { route, conc, parts } of acc.values()) {
    const r = mergeLoads(parts);
    const s = summarize(r.latencies);
    cells.push({ route, conc, r, s });
    log(
      `${route.padEnd(28)} c=${String(conc).padStart(2)}  p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)} ms  ${r.rps.toFixed(0)} req/s  status ${JSON.stringify(r.statuses)} q=${queriesLabel(r.queries)} err=${r.errors}`,
    );
  }
  return cells;
}

export function mergeLoads(parts: LoadResult[]): LoadResult {
  const out: LoadResult = { latencies: [], statuses: {}, queries: {}, errors: 0, seconds: 0, rps: 0 };
  for (const p of parts) {
    out.latencies.push(...p.latencies);
    out.errors += p.errors;
    out.seconds += p.seconds;
    for (const [k, v] of Object.entries(p.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.queries)) out.queries[k] = (out.queries[k] ?? 0) + v;
  }
  out.rps = out.latencies.length / Math.max(0.001, out.seconds);
  return out;
}

export interface Trips {
  route: string;
  variant: string;
  queries: string;
  status: number;
  target?: boolean;
}

export async function roundTrips(stack: Stack, user: TestUser): Promise<Trips[]> {
  const agent = makeAgent(1);
  const auth = { authorization: `Bearer ${user.token}` };
  const out: Trips[] = [];
  const one = async (route: string, variant: string, req: Req, target?: boolean) => {
    const res = await send(stack.baseUrl, agent, req);
    out.push({ route, variant, queries: String(res.headers["x-db-queries"] ?? "—"), status: res.status, target });
    return res;
  };
  await one("GET /api/ping", "no DB", { method: "GET", path: "/api/ping" });
  await one("GET /api/health", "SELECT 1", { method: "GET", path: "/api/health" });
  await one(
    "GET /api/user/inbox",
    "authenticated read",
    { method: "GET", path: "/api/user/inbox", headers: auth },
    true,
  );
  const created = await one(
    "POST /api/user/inbox",
    "with Idempotency-Key (what the client sends)",
    {
      method: "POST",
      path: "/api/user/inbox",
      headers: { ...auth, "idempotency-key": randomUUID() },
      body: { id: randomUUID(), title: "round trips" },
    },
    true,
  );
  await one(
    "POST /api/user/inbox",
    "without Idempotency-Key",
    { method: "POST", path: "/api/user/inbox", headers: auth, body: { id: randomUUID(), title: "round trips 2" } },
    true,
  );
  const key = randomUUID();
  const replayReq: Req = {
    method: "POST",
    path: "/api/user/inbox",
    headers: { ...auth, "idempotency-key": key },
    body: { id: randomUUID(), title: "replay" },
  };
  await send(stack.baseUrl, agent, replayReq);
  await one("POST /api/user/inbox", "idempotent replay (same key again)", replayReq);
  const item = created.json();
  await one(
    "PUT /api/user/inbox/:id",
    "with Idempotency-Key + If-Match",
    {
      method: "PUT",
      path: `/api/user/inbox/${item.id}`,
      headers: { ...auth, "idempotency-key": randomUUID(), "if-match": `"${item.version}"` },
      body: { title: "round trips (edited)" },
    },
    true,
  );
  await one("GET /api/settings", "authenticated read", { method: "GET", path: "/api/settings", headers: auth }, true);
  await one(
    "PUT /api/settings",
    "with Idempotency-Key (what the client sends)",
    {
      method: "PUT",
      path: "/api/settings",
      headers: { ...auth, "idempotency-key": randomUUID() },
      body: { theme: "dark" },
    },
    true,
  );
  await one(
    "PUT /api/settings",
    "without Idempotency-Key",
    { method: "PUT", path: "/api/settings", headers: auth, body: { theme: "light" } },
    true,
  );
  const feed = await send(stack.baseUrl, agent, { method: "GET", path: "/api/sync/changes?limit=1000", headers: auth });
  const cursor = String(feed.json().cursor);
  await one(
    "GET /api/sync/changes",
    "idle poll → 304",
    { method: "GET", path: `/api/sync/changes?since=${cursor}`, headers: { ...auth, "if-none-match": `"${cursor}"` } },
    true,
  );
  await one(
    "GET /api/sync/changes",
    "poll with changes → 200",
    { method: "GET", path: `/api/sync/changes?since=${Math.max(0, Number(cursor) - 3)}`, headers: auth },
    true,
  );
  agent.destroy();
  return out;
}

export interface PollCell {
  kind: string;
  conc: number;
  r: LoadResult;
  s: Summary;
}

export async function idlePolling(stack: Stack, users: TestUser[]): Promise<PollCell[]> {
  // Each user's current cursor (they all have changes from the POST/PUT cells).
  const agent = makeAgent(4);
  const cursors: string[] = [];
  for (const u of users) {
    const full = await send(stack.baseUrl, agent, {
      method: "GET",
      path: "/api/sync/changes?limit=1000",
      headers: { authorization: `Bearer ${u.token}` },
    });
    cursors.push(String(full.json().cursor));
  }
  agent.destroy();
  const out: PollCell[] = [];
  const kinds: Record<string, (s: number) => Req> = {
    "304 (nothing new)": (s) => {
      const u = users[s % users.length]!;
      const c = cursors[s % users.length]!;
      return {
        method: "GET",
        path: `/api/sync/changes?since=${c}`,
        headers: { authorization: `Bearer ${u.token}`, "if-none-match": `"${c}"` },
      };
    },
    "200 (10 changes)": (s) => {
      const u = users[s % users.length]!;
      const c = Math.max(0, Number(cursors[s % users.length]!) - 10);
      return { method: "GET", path: `/api/sync/changes?since=${c}`, headers: { authorization: `Bearer ${u.token}` } };
    },
  };
  for (const [kind, make] of Object.entries(kinds)) {
    for (const conc of [1, 16]) {
      const r = await load({ baseUrl: stack.baseUrl, conc, warmupMs: warmupFor(conc), durationMs: CELL_MS, make });
      const s = summarize(r.latencies);
      out.push({ kind, conc, r, s });
      log(
        `poll ${kind.padEnd(18)} c=${conc}  p50 ${fmt(s.p50)} ms  ${r.rps.toFixed(0)} req/s  ${JSON.stringify(r.statuses)} q=${queriesLabel(r.queries)}`,
      );
    }
  }
  return out;
}
