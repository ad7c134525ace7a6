/**
 * The simulated-network table: the same routes with `DB_LATENCY_MS` = 0 and
 * = 100 (or `--rtt a,b`) between the Worker and the database
 * (scripts/latency-proxy.ts: every byte pays RTT/2 each way, a new connection
 * pays TCP + TLS before its first byte, the WebSocket upgrade and Postgres
 * startup pay their real exchanges).
 *
 * Each RTT gets a stack of its own. Requests are sequential (c = 1), as a user
 * sees them; p50/p99 over NETWORK_SAMPLES requests after two unrecorded ones.
 * Round trips = (p50 − p50 of the no-DB route) ÷ RTT. New DB connections per
 * request = TCP connections the stand-in for Neon's proxy accepted during the
 * samples ÷ samples (WebSocket tunnels and HTTP connections alike: each one is
 * a handshake a real network charges for).
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { log, NETWORK_SAMPLES } from "./config.ts";
import { fmt, makeAgent, seedUsers, send, summarize, type Req, type Res, type Summary } from "./lib.ts";
import { sleep, startStack, type Stack } from "./stack.ts";

export interface NetworkRow {
  route: string;
  /** Target at this RTT, as a p50 bound in ms, or a description when it is relative. */
  kind: "baseline" | "read" | "write" | "poll" | "fanout" | "transaction" | "other";
  s: Summary;
  queries: string;
  /** TCP connections to the Neon stand-in per request (handshakes paid). */
  connections: number;
  statuses: string;
}

export interface NetworkRun {
  rtt: number;
  rows: NetworkRow[];
}

interface Sample {
  res: Res;
  ms: number;
}

async function measure(
  stack: Stack,
  route: string,
  kind: NetworkRow["kind"],
  make: (i: number, prev?: Res) => Req | Promise<Req>,
): Promise<NetworkRow> {
  const agent = makeAgent(1);
  let prev: Res | undefined;
  for (let i = 0; i < 2; i++) prev = await send(stack.baseUrl, agent, await make(-1 - i, prev));
  const samples: Sample[] = [];
  let connections = 0;
  for (let i = 0; i < NETWORK_SAMPLES; i++) {
    const req = await make(i, prev);
    const before = stack.db.stats().connections;
    const res = await send(stack.baseUrl, agent, req, 30_000);
    connections += stack.db.stats().connections - before;
    samples.push({ res, ms: res.ms });
    prev = res;
  }
  agent.destroy();
  const statuses: Record<string, number> = {};
  const queries: Record<string, number> = {};
  for (const { res } of samples) {
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    const q = String(res.headers["x-db-queries"] ?? "—");
    queries[q] = (queries[q] ?? 0) + 1;
  }
  const row: NetworkRow = {
    route,
    kind,
    s: summarize(samples.map((x) => x.ms)),
    queries: Object.keys(queries).join("/"),
    connections: connections / samples.length,
    statuses: Object.entries(statuses)
      .map(([k, v]) => `${k}×${v}`)
      .join(" "),
  };
  log(
    `  ${route.padEnd(46)} p50 ${fmt(row.s.p50)} p99 ${fmt(row.s.p99)} ms  q=${row.queries} conn/req=${row.connections.toFixed(2)} ${row.statuses}`,
  );
  return row;
}

/** One user, two sockets: write over HTTP, arrival on the other device's socket. */
async function fanOutAt(stack: Stack, token: string): Promise<{ arrival: NetworkRow; write: NetworkRow }> {
  const url = stack.baseUrl.replace(/^http/, "ws") + "/api/sync/ws";
  const arrivals = new Map<string, number>();
  const other = new WebSocket(url, { headers: { authorization: `Bearer ${token}`, "x-client-id": "net-b" } });
  await new Promise<void>((resolve, reject) => {
    other.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "hello") resolve();
      if (m.type === "changes")
        for (const ch of m.changes) if (!arrivals.has(ch.id)) arrivals.set(ch.id, performance.now());
    });
    other.on("error", reject);
  });
  const agent = makeAgent(1);
  const writes: number[] = [];
  const e2e: number[] = [];
  const before = stack.db.stats();
  let missing = 0;
  for (let i = 0; i < NETWORK_SAMPLES + 2; i++) {
    const id = randomUUID();
    const t0 = performance.now();
    const res = await send(stack.baseUrl, agent, {
      method: "POST",
      path: "/api/user/inbox",
      headers: { authorization: `Bearer ${token}`, "idempotency-key": randomUUID(), "x-client-id": "net-a" },
      body: { id, title: `fan-out ${i}` },
    });
    const deadline = performance.now() + 5_000;
    while (!arrivals.has(id) && performance.now() < deadline) await sleep(1);
    if (i < 2) continue;
    writes.push(res.ms);
    const at = arrivals.get(id);
    if (at === undefined) missing++;
    else e2e.push(at - t0);
  }
  const after = stack.db.stats();
  other.terminate();
  agent.destroy();
  const connections = (after.connections - before.connections) / NETWORK_SAMPLES;
  const row = (route: string, values: number[], statuses: string): NetworkRow => ({
    route,
    kind: "fanout",
    s: summarize(values),
    queries: "—",
    connections,
    statuses,
  });
  const result = {
    write: row("POST /api/user/inbox, the fan-out's write (request → response)", writes, `201×${writes.length}`),
    arrival: row(
      "change → the other device's socket (request sent → arrival)",
      e2e,
      missing ? `missing ×${missing}` : `arrived ×${e2e.length}`,
    ),
  };
  log(
    `  fan-out: write p50 ${fmt(result.write.s.p50)} ms, arrival p50 ${fmt(result.arrival.s.p50)} ms, ${missing} missing`,
  );
  return result;
}

async function runAt(rtt: number, bundleDir: string): Promise<NetworkRun> {
  log(`simulated network: ${rtt} ms RTT between the Worker and the database`);
  const stack = await startStack({ bundleDir, latencyMs: rtt, log });
  try {
    const [u, fan] = await seedUsers(stack.db.url, stack.db.directWsProxy, 2, `net${rtt}`);
    const auth = { authorization: `Bearer ${u!.token}` };
    const keyed = () => ({ ...auth, "idempotency-key": randomUUID() });
    const rows: NetworkRow[] = [];
    const m = (route: string, kind: NetworkRow["kind"], make: (i: number, prev?: Res) => Req | Promise<Req>) =>
      measure(stack, route, kind, make).then((r) => rows.push(r));
    await m("GET /api/ping (no DB)", "baseline", () => ({ method: "GET", path: "/api/ping" }));
    await m("GET /api/health (SELECT 1)", "other", () => ({ method: "GET", path: "/api/health" }));
    await m("GET /api/user/inbox (authenticated read)", "read", () => ({
      method: "GET",
      path: "/api/user/inbox",
      headers: auth,
    }));
    await m("GET /api/settings (authenticated read)", "read", () => ({
      method: "GET",
      path: "/api/settings",
      headers: auth,
    }));
    await m("POST /api/user/inbox + Idempotency-Key", "write", (i) => ({
      method: "POST",
      path: "/api/user/inbox",
      headers: keyed(),
      body: { id: randomUUID(), title: `net ${i}`, tags: ["bench"] },
    }));
    const item = (
      await send(stack.baseUrl, makeAgent(1), {
        method: "POST",
        path: "/api/user/inbox",
        headers: auth,
        body: { id: randomUUID(), title: "edited" },
      })
    ).json();
    let version = item.version as number;
    await m("PUT /api/user/inbox/:id + Idempotency-Key + If-Match", "write", (i, prev) => {
      if (prev?.status === 200) version = prev.json().version;
      return {
        method: "PUT",
        path: `/api/user/inbox/${item.id}`,
        headers: { ...keyed(), "if-match": `"${version}"` },
        body: { title: `edited ${i}` },
      };
    });
    await m("PUT /api/settings + Idempotency-Key", "write", (i) => ({
      method: "PUT",
      path: "/api/settings",
      headers: keyed(),
      body: { ui: { bench: i } },
    }));
    const cursor = String(
      (
        await send(stack.baseUrl, makeAgent(1), { method: "GET", path: "/api/sync/changes?limit=1000", headers: auth })
      ).json().cursor,
    );
    await m("GET /api/sync/changes → 304 (idle poll)", "poll", () => ({
      method: "GET",
      path: `/api/sync/changes?since=${cursor}`,
      headers: { ...auth, "if-none-match": `"${cursor}"` },
    }));
    await m("GET /api/sync/changes → 200 (3 changes)", "other", () => ({
      method: "GET",
      path: `/api/sync/changes?since=${Number(cursor) - 3}`,
      headers: auth,
    }));
    await m("DELETE /api/focus/libraries/:id (interactive transaction)", "transaction", async () => {
      const lib = await send(stack.baseUrl, makeAgent(1), {
        method: "POST",
        path: "/api/focus/libraries",
        headers: auth,
        body: { id: randomUUID(), name: "net" },
      });
      return { method: "DELETE", path: `/api/focus/libraries/${lib.json().id}`, headers: keyed() };
    });
    const f = await fanOutAt(stack, fan!.token);
    rows.push(f.write, f.arrival);
    return { rtt, rows };
  } finally {
    await stack.stop();
  }
}

export async function networkTable(rtts: number[], bundleDir: string): Promise<NetworkRun[]> {
  const runs: NetworkRun[] = [];
  for (const rtt of rtts) runs.push(await runAt(rtt, bundleDir));
  return runs;
}
