/**
 * The per-operation table: every operation of /api/openapi.json, measured on
 * a stack of its own at each RTT (`DB_LATENCY_MS` 0 and 100 by default),
 * sequentially (c = 1), with the fixtures of bench/ops-fixtures.ts. Per
 * operation: p50 at each RTT, round trips ((p50 − p50 of the no-DB route) ÷
 * RTT), what the network added ((p50 at RTT − p50 at 0) ÷ RTT: the local CPU
 * time of a loaded machine left out), `X-Db-Queries` and new database
 * connections per request. An operation of the document without a fixture,
 * or whose samples don't answer the expected status, fails the bench.
 *
 *   npm run bench -- --ops                      # only this table (≈ 3–5 min on 2 loaded cores)
 *   npm run bench -- --ops --only buyMarketItem,likeLoop   # a few operations
 *   npm run bench -- --ops --ops-json out.json  # also the raw figures (before/after comparisons)
 */
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { log, OPS_ONLY, OPS_SAMPLES } from "./config.ts";
import { declaredFixtures, FIXTURES, prepare, type Fixtures, type OpFixture } from "./ops-fixtures.ts";
import {
  configureNodeDriver,
  fmt,
  makeAgent,
  nodePool,
  seedUsers,
  send,
  summarize,
  type Req,
  type Res,
  type TestUser,
} from "./lib.ts";
import { startStack, type Stack } from "./stack.ts";

export interface OpSample {
  p50: number;
  queries: string;
  /** New TCP connections to the Neon stand-in per request. */
  connections: number;
  statuses: string;
  ok: boolean;
}

export interface OpRow {
  op: string;
  method: string;
  path: string;
  twoTrips?: string;
  at: Record<number, OpSample>;
}

export interface OpsRun {
  rtts: number[];
  /** p50 of GET /api/ping (no DB) at each RTT. */
  ping: Record<number, number>;
  rows: OpRow[];
  missing: string[];
}

interface Operation {
  op: string;
  method: string;
  path: string;
}

const modeOf = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const keys = [...counts.keys()];
  const nums = keys.map(Number).filter(Number.isFinite);
  const mode = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "—";
  return nums.length > 1 ? `${mode} (${Math.min(...nums)}–${Math.max(...nums)})` : mode;
};

/** How long no query may have been in flight before a sample is timed (background work of the one before). */
const QUIET_MS = 30;
/** Opens the socket; resolves when the server's first message arrives (what a client waits for). */
function socketOnce(stack: Stack, req: Req): Promise<Res> {
  const url = stack.baseUrl.replace(/^http/, "ws") + req.path;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let headers: Res["headers"] = {};
    const ws = new WebSocket(url, { headers: req.headers });
    const timer = setTimeout(() => (ws.terminate(), reject(new Error("socket: no message in 15 s"))), 15_000);
    ws.on("upgrade", (res) => (headers = res.headers));
    ws.on("message", () => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      ws.terminate();
      resolve({ status: 101, headers, text: "", json: () => null, ms });
    });
    ws.on("unexpected-response", (_r, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: "", json: () => null, ms: 0 });
    });
    ws.on("error", (e) => (clearTimeout(timer), reject(e)));
  });
}

let fixtures: Record<string, OpFixture> = FIXTURES;

async function operationsOf(stack: Stack): Promise<Operation[]> {
  const doc = (await send(stack.baseUrl, makeAgent(1), { method: "GET", path: "/api/openapi.json" })).json();
  fixtures = { ...declaredFixtures(doc), ...FIXTURES };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { operationId?: string }>>))
    for (const [method, op] of Object.entries(item))
      ops.push({ op: op.operationId ?? `${method} ${path}`, method: method.toUpperCase(), path });
  return ops;
}

async function runAt(rtt: number, bundleDir: string, only: Set<string> | undefined) {
  log(`per-operation table: ${rtt} ms RTT`);
  const stack = await startStack({ bundleDir, latencyMs: rtt, log });
  try {
    const [user, other] = await seedUsers(stack.db.url, stack.db.directWsProxy, 2, `ops${rtt}`);
    configureNodeDriver(stack.db.directWsProxy);
    const pool = nodePool(stack.db.url);
    const agent = makeAgent(1);
    const call = async (req: Req) => {
      const res = await send(stack.baseUrl, agent, req, 30_000);
      if (res.status >= 300)
        throw new Error(`fixture ${req.method} ${req.path} → ${res.status} ${res.text.slice(0, 300)}`);
      return res;
    };
    const loginName = `login_${randomBytes(4).toString("hex")}`;
    const password = "bench-password-123";
    await call({
      method: "POST",
      path: "/api/auth/signup",
      headers: { "cf-connecting-ip": "10.8.0.1" },
      body: { email: `${loginName}@bench.local`, username: loginName, password },
    });
    const f: Fixtures = {
      user: user!,
      other: other!,
      login: { login: loginName, password },
      pool,
      ids: {},
      run: call,
      api: (method, path, body, as?: TestUser) =>
        call({ method, path, headers: { authorization: `Bearer ${(as ?? user!).token}` }, body }),
    };
    await prepare(f);

    const timed = async (req: Req, socket: boolean) => {
      // The previous request's work after its response (storing an idempotent response, a queue
      // consumer) must not overlap this one's window: the runtime would open a second kept-alive
      // connection for it, counted here as this request's. Wait until no query has been in flight
      // for QUIET_MS (that work starts a few ms after the response), at most 3 s.
      for (let quiet = 0, waited = 0; quiet < QUIET_MS && waited < 3_000; waited += 5) {
        await new Promise((r) => setTimeout(r, 5));
        quiet = stack.db.stats().sqlInFlight > 0 ? 0 : quiet + 5;
      }
      const before = stack.db.stats();
      const res = socket ? await socketOnce(stack, req) : await send(stack.baseUrl, agent, req, 30_000);
      const after = stack.db.stats();
      // More SQL requests reached the stand-in than the Worker counted for this request: something else
      // (background work) queried during the window, and a connection then may be its.
      const overlapped = after.sqlRequests - before.sqlRequests > (Number(res.headers["x-db-queries"]) || 0);
      return { res, connections: after.connections - before.connections, overlapped };
    };
    const ping: number[] = [];
    for (let i = 0; i < OPS_SAMPLES + 1; i++) {
      const r = await send(stack.baseUrl, agent, { method: "GET", path: "/api/ping" });
      if (i > 0) ping.push(r.ms);
    }

    const results = new Map<string, OpSample>();
    const ops = await operationsOf(stack);
    const missing = ops.filter((o) => !fixtures[o.op]).map((o) => `${o.op} (${o.method} ${o.path})`);
    for (const o of ops) {
      const fx = fixtures[o.op];
      if (!fx || (only && !only.has(o.op))) continue;
      const ms: number[] = [];
      const queries: string[] = [];
      const statuses: Record<string, number> = {};
      let connections = 0;
      let overlaps = 0;
      let ok = true;
      // One unrecorded warm-up, then the samples.
      for (let i = -1; i < OPS_SAMPLES; i++) {
        const req = await fx.make(f, i + 1);
        const { res, connections: c, overlapped } = await timed(req, fx.socket === true);
        if (i < 0) continue;
        if (overlapped && c > 0) overlaps++;
        ms.push(res.ms);
        queries.push(String(res.headers["x-db-queries"] ?? "—"));
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        connections += c;
        if (res.status !== fx.status) {
          ok = false;
          if (!statuses[`!${res.status}`]) log(`  ${o.op}: ${res.status} ${res.text.slice(0, 200)}`);
          statuses[`!${res.status}`] = 1;
        }
      }
      const sample: OpSample = {
        p50: summarize(ms).p50,
        queries: modeOf(queries),
        connections: connections / OPS_SAMPLES,
        statuses: Object.entries(statuses)
          .filter(([k]) => !k.startsWith("!"))
          .map(([k, v]) => `${k}×${v}`)
          .join(" "),
        ok,
      };
      results.set(o.op, sample);
      log(
        `  ${o.op.padEnd(28)} p50 ${fmt(sample.p50).padStart(7)} ms  q=${sample.queries} conn=${sample.connections.toFixed(2)}${overlaps ? ` (${overlaps} beside other queries)` : ""} ${sample.statuses}${ok ? "" : " UNEXPECTED"}`,
      );
    }
    agent.destroy();
    await pool.end().catch(() => {});
    return { ping: summarize(ping).p50, ops, results, missing };
  } finally {
    await stack.stop();
  }
}

export async function opsTable(rtts: number[], bundleDir: string): Promise<OpsRun> {
  const only = OPS_ONLY ? new Set(OPS_ONLY) : undefined;
  const run: OpsRun = { rtts, ping: {}, rows: [], missing: [] };
  const rows = new Map<string, OpRow>();
  for (const rtt of rtts) {
    const r = await runAt(rtt, bundleDir, only);
    run.ping[rtt] = r.ping;
    run.missing = r.missing;
    for (const o of r.ops) {
      const s = r.results.get(o.op);
      if (!s) continue;
      const row = rows.get(o.op) ?? {
        op: o.op,
        method: o.method,
        path: o.path,
        twoTrips: fixtures[o.op]?.twoTrips,
        at: {},
      };
      row.at[rtt] = s;
      rows.set(o.op, row);
    }
  }
  run.rows = [...rows.values()];
  return run;
}

/** Round trips the network added: (p50 at RTT − p50 at 0) ÷ RTT. */
export const addedTrips = (row: OpRow, rtt: number) =>
  row.at[0] && row.at[rtt] ? (row.at[rtt]!.p50 - row.at[0]!.p50) / rtt : NaN;

/** Round trips an operation may take at the budget: 1, or 2 for a named exception. */
const allowedTrips = (row: OpRow) => (row.twoTrips ? 2 : 1);

/** By count: the database round trips the Worker made (X-Db-Queries, the mode) within budget, no new connection. */
export function withinCount(row: OpRow, rtt: number): boolean {
  const at = row.at[rtt];
  if (!at || !at.ok) return false;
  const q = Number.parseInt(at.queries, 10);
  return (Number.isNaN(q) || q <= allowedTrips(row)) && at.connections === 0;
}

/** By time: what the network adds (p50 at RTT − p50 at 0) ≤ allowed × RTT + 25 ms, no new connection. */
export function withinTime(row: OpRow, rtt: number): boolean {
  const at = row.at[rtt];
  const zero = row.at[0];
  if (!at || !at.ok || !zero) return false;
  return at.p50 - zero.p50 <= allowedTrips(row) * rtt + 25 && at.connections === 0;
}

/** Within budget: by count, and by time (the time verdict is noisy on a loaded machine; both are shown). */
export const withinBudget = (row: OpRow, rtt: number) => withinCount(row, rtt);

/** Markdown, worst first (by p50 at the largest RTT). */
export function renderOps(run: OpsRun): string {
  const hi = Math.max(...run.rtts);
  const rows = [...run.rows].sort((a, b) => (b.at[hi]?.p50 ?? Infinity) - (a.at[hi]?.p50 ?? Infinity));
  const head = [
    "Operation",
    ...run.rtts.map((r) => `p50 @${r}`),
    `Round trips @${hi}`,
    `Added by the network ÷ RTT`,
    "Queries",
    `New DB conn./req @${hi}`,
    "Statuses",
    "Budget",
    "By count",
    "By time",
  ];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  for (const row of rows) {
    const at = row.at[hi];
    const trips = at ? (at.p50 - (run.ping[hi] ?? 0)) / hi : NaN;
    const mark = (ok: boolean) => (!at?.ok ? "❌ status" : ok ? "✅" : "❌");
    lines.push(
      `| \`${row.method} ${row.path}\` (${row.op}) | ${run.rtts.map((r) => fmt(row.at[r]?.p50 ?? NaN)).join(" | ")} | ${fmt(trips)} | ${fmt(addedTrips(row, hi))} | ${at?.queries ?? "—"} | ${at ? at.connections.toFixed(2) : "—"} | ${at?.statuses ?? "—"} | ${row.twoTrips ? "≤ 2†" : "≤ 1"} | ${mark(withinCount(row, hi))} | ${mark(withinTime(row, hi))} |`,
    );
  }
  const exceptions = rows.filter((r) => r.twoTrips).map((r) => `- † \`${r.op}\`: ${r.twoTrips}.`);
  const byCount = rows.filter((r) => withinCount(r, hi)).length;
  const byTime = rows.filter((r) => withinTime(r, hi)).length;
  return [
    `GET /api/ping (no DB) p50: ${run.rtts.map((r) => `${fmt(run.ping[r] ?? NaN)} ms @${r}`).join(", ")}. Within budget at ${hi} ms RTT (1 round trip, † 2; 0 new connections): **${byCount} of ${rows.length} by count** (X-Db-Queries, what the driver sent), ${byTime} of ${rows.length} by time (p50 at ${hi} − p50 at 0 ≤ the allowed RTTs + 25 ms; on a loaded machine the latency stand-in itself runs late, so single-query routes can miss it).`,
    "",
    ...lines,
    "",
    ...exceptions,
  ].join("\n");
}

/** Throws (fails the bench) on an operation without a measurement. */
export function assertComplete(run: OpsRun): void {
  const bad = run.rows.filter((r) => run.rtts.some((t) => !r.at[t]?.ok)).map((r) => r.op);
  if (run.missing.length || bad.length)
    throw new Error(
      [
        run.missing.length ? `operations without a fixture (bench/ops-fixtures.ts): ${run.missing.join(", ")}` : "",
        bad.length ? `operations whose samples failed: ${bad.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("; "),
    );
}
