/**
 * docs/BENCHMARKS.md from one bench run. The hand-kept before/after history
 * lives in bench/history.md and is included as written.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Cell, PollCell, Trips } from "./api.ts";
import {
  CELL_MS,
  CONCURRENCY,
  FANOUT_THINK_MS,
  FANOUT_USERS,
  QUICK,
  ROUNDS,
  SOCKETS_PER_USER,
  warmupFor,
} from "./config.ts";
import type { fanOut } from "./fanout.ts";
import { fmt, queriesLabel, ratio, type Summary } from "./lib.ts";
import { scaleSection } from "./scale/report.ts";
import { BIG_SECTION, browserBigSection } from "./browser-big.ts";
import { networkTargets, pass, renderNetwork, table } from "./network-report.ts";
import type { NetworkRun } from "./network.ts";
import { renderOps, withinBudget, type OpsRun } from "./ops.ts";
import { renderColdStart, type ColdStart } from "./cold-start.ts";
import { kb, type machine, type Sizes } from "./sizes.ts";
import { ROOT, type Stack } from "./stack.ts";

const history = () => readFileSync(path.join(ROOT, "bench/history.md"), "utf8").trim();

export interface Report {
  date: string;
  cells: Cell[];
  network: NetworkRun[];
  ops: OpsRun;
  cold: ColdStart | undefined;
  machine: ReturnType<typeof machine>;
  versions: Record<string, string>;
  sizes: Sizes;
  stackTimings: Stack["timings"];
  select1: { held: Record<number, Summary>; fresh: Summary };
  trips: Trips[];
  polls: PollCell[];
  fan: Awaited<ReturnType<typeof fanOut>>;
  startup: { dev: { ms?: number; note: string }; bare?: number };
  wallS: number;
  load: { start: number[]; end: number[] };
}

export function render(rep: Report): string {
  const cells = rep.cells;
  const ping = (c: number) => cells.find((x) => x.route.startsWith("GET /api/ping") && x.conc === c)?.s.p50 ?? NaN;
  const health = (c: number) => cells.find((x) => x.route.startsWith("GET /api/health") && x.conc === c)?.s.p50 ?? NaN;
  const rtt = (c: number) => rep.select1.held[c]?.p50 ?? NaN;
  const apiRows = cells.map((c) => [
    c.route,
    String(c.conc),
    fmt(c.s.p50),
    fmt(c.s.p95),
    fmt(c.s.p99),
    c.r.rps.toFixed(0),
    ratio(c.s.p50, ping(c.conc)),
    ratio(c.s.p50, rtt(c.conc)),
    queriesLabel(c.r.queries),
    Object.entries(c.r.statuses)
      .map(([k, v]) => `${k}×${v}`)
      .join(" ") + (c.r.errors ? ` err×${c.r.errors}` : ""),
  ]);
  const tripsRows = rep.trips.map((t) => {
    const n = Number(t.queries);
    return [t.route, t.variant, String(t.status), t.queries, t.target ? pass(n <= 1) : "—"];
  });
  const poll304 = rep.polls.find((p) => p.kind.startsWith("304") && p.conc === 1);
  const pollRows = rep.polls.map((p) => [
    p.kind,
    String(p.conc),
    fmt(p.s.p50),
    fmt(p.s.p99),
    p.r.rps.toFixed(0),
    queriesLabel(p.r.queries),
    ratio(p.s.p50, ping(p.conc)),
    ratio(
      p.s.p50,
      poll304 && p.conc === 1
        ? poll304.s.p50
        : (rep.polls.find((x) => x.kind.startsWith("304") && x.conc === p.conc)?.s.p50 ?? NaN),
    ),
  ]);
  const f = rep.fan;
  const fanRows = [
    ["DO WebSocket echo (ping → pong), baseline", fmt(f.echo.p50), fmt(f.echo.p99), "1.0×", String(f.echo.n)],
    [
      "change → other devices (request sent → arrival)",
      fmt(f.e2e.p50),
      fmt(f.e2e.p99),
      ratio(f.e2e.p50, f.echo.p50),
      String(f.e2e.n),
    ],
    [
      "change → other devices (HTTP response → arrival; < 0: socket first)",
      fmt(f.afterAck.p50),
      fmt(f.afterAck.p99),
      "—",
      String(f.afterAck.n),
    ],
    [
      "the write itself (POST /api/user/inbox, request → response)",
      fmt(f.write.p50),
      fmt(f.write.p99),
      ratio(f.write.p50, f.echo.p50),
      String(f.write.n),
    ],
  ];
  const w = rep.sizes.web;
  const wk = rep.sizes.worker;
  const sizeRows = [
    [
      "Web initial JS (gzip -9)",
      w.ok ? kb(w.initialJs!) : `n/a (${w.note})`,
      "≤ 60 KB",
      w.ok ? pass(w.initialJs! <= 60 * 1024) : "n/a",
    ],
    ["Web initial CSS (gzip -9)", w.ok ? kb(w.initialCss!) : "n/a", "—", "—"],
    ["Web all JS chunks (gzip -9)", w.ok ? kb(w.allJs!) : "n/a", "—", "—"],
    ["Web Studio chunk, lazy (gzip -9)", w.ok ? kb(w.studioJs!) : "n/a", "—", "—"],
    ["index.html (gzip -9)", w.ok ? kb(w.html!) : "n/a", "—", "—"],
    [
      "Worker bundle (gzip -9)",
      wk.ok ? kb(wk.gzip!) : `n/a (${wk.note})`,
      "≤ 1 MB",
      wk.ok ? pass(wk.gzip! <= 1024 * 1024) : "n/a",
    ],
    ["Worker bundle (raw)", wk.ok ? kb(wk.raw!) : "n/a", "—", "—"],
  ];
  const st = rep.stackTimings;
  const bare = rep.startup.bare;
  const startRows = [
    [
      "`npm run dev`, cold → first 200 on /api/health",
      rep.startup.dev.ms !== undefined ? `${(rep.startup.dev.ms / 1000).toFixed(1)} s` : "n/a",
      bare ? ratio(rep.startup.dev.ms ?? NaN, bare) : "n/a",
      rep.startup.dev.note,
    ],
    [
      "bench stack (initdb + migrate + wrangler dev --no-bundle) → 200",
      `${(st.total / 1000).toFixed(1)} s`,
      bare ? ratio(st.total, bare) : "n/a",
      `bundle ${fmt(st.bundle / 1000)} s · Postgres ${fmt(st.postgres / 1000)} s · migrate ${fmt(st.migrate / 1000)} s · wrangler ${fmt(st.wrangler / 1000)} s`,
    ],
    [
      "baseline: `wrangler dev` of a one-line Worker → 200",
      bare ? `${(bare / 1000).toFixed(1)} s` : "n/a",
      "1.0×",
      "workerd + wrangler floor",
    ],
  ];

  const authTrips = rep.trips.filter((t) => t.target);
  const worstTrip = authTrips.filter((t) => Number(t.queries) > 1);
  const targets = [
    [
      "Authenticated reads and keyed writes: 1 DB round trip",
      worstTrip.length === 0,
      worstTrip.length
        ? `over: ${worstTrip.map((t) => `${t.route} [${t.variant}] = ${t.queries}`).join("; ")}`
        : "all 1",
    ],
    [
      "Fan-out p99 < 100 ms (request sent → arrival)",
      f.e2e.p99 < 100 && f.missing === 0,
      `p99 ${fmt(f.e2e.p99)} ms, ${f.missing} missing`,
    ],
    [
      "Idle poll (304): at most one indexed query",
      Number(rep.trips.find((t) => t.variant.startsWith("idle"))?.queries) <= 1,
      `${rep.trips.find((t) => t.variant.startsWith("idle"))?.queries} query`,
    ],
    ["Web initial JS ≤ 60 KB gz", w.ok ? w.initialJs! <= 60 * 1024 : undefined, w.ok ? kb(w.initialJs!) : "n/a"],
    ["Worker ≤ 1 MB gz", wk.ok ? wk.gzip! <= 1024 * 1024 : undefined, wk.ok ? kb(wk.gzip!) : "n/a"],
    ["No cross-user leakage on sockets", f.leaks === 0, `${f.leaks} foreign changes seen`],
    ...networkTargets(rep.network).map((t) => [t.name, t.ok, t.detail]),
    opsTarget(rep.ops),
  ].map(([name, ok, detail]) => [name as string, pass(ok as boolean | undefined), detail as string]);

  const m = rep.machine;
  const v = rep.versions;
  return `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) — do not edit by hand; re-run instead.

- **Date:** ${rep.date}
- **Machine:** ${m.nproc} CPUs (${m.cpuModel}), ${m.memGiB} GiB RAM, ${m.kernel}
- **Versions:** Node ${v.node}, wrangler ${v.wrangler}, workerd ${v.workerd}, ${v.postgres}, @neondatabase/serverless ${v.neon}, drizzle-orm ${v.drizzle}, hono ${v.hono}, vite ${v.vite}
- **Stack:** \`wrangler dev --no-bundle\` (workerd) serving the \`wrangler deploy --dry-run\` bundle, embedded Postgres (fresh temp cluster), Neon driver through the local stand-ins for Neon's endpoints (SQL over HTTP for queries, the WebSocket relay for interactive transactions; scripts/relay.ts). Load generator: closed-loop keep-alive HTTP from Node in the same machine (it competes for the same 2 cores).
- **Load average (1/5/15 min):** ${rep.load.start.map((x) => x.toFixed(2)).join(" / ")} at start, ${rep.load.end.map((x) => x.toFixed(2)).join(" / ")} at end${Math.max(rep.load.start[1]!, rep.load.end[1]!) > Number(rep.machine.nproc) * 0.75 ? " — **the machine was busy with other work; absolute figures are pessimistic, ratios less affected**" : ""}
- **Bench wall time:** ${rep.wallS.toFixed(0)} s${QUICK ? " (`--quick`: short cells, noisy)" : ""}

Ratios make the figures portable across machines: **×ping** = p50 ÷ p50 of \`GET /api/ping\` (a Worker route that does no DB work) at the same concurrency; **×RTT** = p50 ÷ p50 of a bare \`SELECT 1\` round trip on open connections from Node through the same Neon driver and relay, at the same concurrency (${CONCURRENCY.map((c) => `${fmt(rep.select1.held[c]!.p50, 2)} ms at c=${c}`).join(", ")} this run).

## Targets

${table(["Target", "Result", "Detail"], targets)}

## Reading the numbers

${readingNotes(rep)}

${history()}

## Over a simulated network (\`DB_LATENCY_MS\`)

${renderNetwork(rep.network)}

## Every operation of the OpenAPI document (\`npm run bench -- --ops\`)

Generated from \`/api/openapi.json\` (bench/ops.ts; fixtures in bench/ops-fixtures.ts — an operation without one fails the bench). Sequential requests (c = 1), one unrecorded warm-up, then p50 of the samples; each RTT on a stack of its own. **Round trips** = (p50 − p50 of \`GET /api/ping\`) ÷ RTT; **added by the network** = (p50 at RTT − p50 at 0) ÷ RTT (the local CPU of a loaded machine left out). **Budget**: 1 round trip at 100 ms RTT and no new database connection, † 2 for a named exception; judged **by count** (X-Db-Queries: the round trips the Worker's driver made, a batch counting once) and **by time**. Worst first.

${renderOps(rep.ops)}

## Cold start on a new device (\`npm run bench -- --cold\`)

${rep.cold ? renderColdStart(rep.cold) : "Not measured (the web build failed)."}

${scaleSection(ROOT) || "## Cost as data grows\n\nNot measured yet: `npm run bench -- --scale large`."}

${browserBigSection(ROOT) || `${BIG_SECTION}\n\nNot measured yet: \`npm run bench -- --big\`.`}

## API latency and throughput

Closed loop, ${CELL_MS / 1000} s measured per cell, in ${ROUNDS} interleaved pass(es) over all cells (each slice after a warm-up of ${warmupFor(1)} / ${warmupFor(16)} / ${warmupFor(64)} ms at c = 1 / 16 / 64, about one request latency) so that background load on the machine hits routes and baselines alike. Authenticated cells spread the concurrent clients over ${FANOUT_USERS}+ users (client *i* uses user *i*), each user holding 50 inbox items; mutations send an \`Idempotency-Key\` and a client-generated id, as the web client does. Queries = the \`X-Db-Queries\` header (mode, range).

${table(["Route", "Conc.", "p50 ms", "p95 ms", "p99 ms", "req/s", "×ping", "×RTT", "Queries", "Statuses"], apiRows)}

### Baselines measured in the same run

${table(
  ["Baseline", "p50 ms", "p95 ms", "p99 ms", "n"],
  [
    ...CONCURRENCY.map((c) => {
      const h = rep.select1.held[c]!;
      return [
        `\`SELECT 1\` on ${c} open connection(s) (Node → Neon driver → WebSocket relay → Postgres), c=${c}`,
        fmt(h.p50, 2),
        fmt(h.p95, 2),
        fmt(h.p99, 2),
        String(h.n),
      ];
    }),
    [
      "new Pool → connect (WebSocket + password auth) → `SELECT 1`, from Node, c=1 (what an interactive transaction pays first)",
      fmt(rep.select1.fresh.p50, 2),
      fmt(rep.select1.fresh.p95, 2),
      fmt(rep.select1.fresh.p99, 2),
      String(rep.select1.fresh.n),
    ],
    [
      "derived: `SELECT 1` from inside the Worker (HTTP path, no connect) = p50(/api/health) − p50(/api/ping), c=1",
      fmt(health(1) - ping(1), 2),
      "",
      "",
      "",
    ],
    ...cells
      .filter((c) => c.route.startsWith("GET /api/ping") || c.route.startsWith("GET /api/health"))
      .map((c) => [`${c.route}, c=${c.conc}`, fmt(c.s.p50, 2), fmt(c.s.p95, 2), fmt(c.s.p99, 2), String(c.s.n)]),
  ],
)}

## DB round trips per request

Counted by db/client.ts and read from the \`X-Db-Queries\` response header: one per HTTP query request (a batch — the session check with the request's first statement — is one), one per WebSocket query inside an interactive transaction (\`BEGIN\`/\`COMMIT\` included). Work deferred until after the response (storing an idempotent response, refreshing a session's expiry) is not on the request's path and is not counted. Target: 1 for authenticated reads and keyed writes (SPEC §1); the routes that take more, and why, are listed in bench/history.md above.

${table(["Route", "Variant", "Status", "Queries", "Target 1"], tripsRows)}

## Fan-out (socket → socket)

${f.sockets} WebSockets (${FANOUT_USERS} users × ${SOCKETS_PER_USER} devices) held open on \`/api/sync/ws\` (opened in ${fmt(f.openMs / 1000)} s). Each user changes an inbox item on one of its devices every ${FANOUT_THINK_MS[0] / 1000}–${FANOUT_THINK_MS[1] / 1000} s (${f.okWrites}/${f.writes} writes, ≈ ${f.rate.toFixed(0)} changes/s overall); latency is measured on the user's other two sockets. Baseline: \`{"type":"ping"}\` → \`{"type":"pong"}\` through the same Durable Objects and sockets (runtime auto-response), measured during the same phase: each socket pings every 0.5–1.5 s while the writers run. Missing deliveries: ${f.missing}. Foreign changes seen: ${f.leaks}.

${table(["Path", "p50 ms", "p99 ms", "÷ echo p50", "n"], fanRows)}

## Idle polling

\`GET /api/sync/changes\`: a poll that finds nothing new (\`If-None-Match\` = current cursor → 304) vs one that returns 10 changes.

${table(["Poll", "Conc.", "p50 ms", "p99 ms", "req/s", "Queries", "×ping", "÷ 304"], pollRows)}

## Sizes

${w.ok ? `Web built with \`vite build\` (fresh output dir); "initial" = what index.html loads before first paint (${w.files!.map((x) => `\`${x}\``).join(", ")}).` : ""} Worker = \`wrangler deploy --dry-run --outdir\` output (all modules), gzip -9.

${table(["Artifact", "Size", "Target", "Result"], sizeRows)}

## Start-up

${table(["What", "Time", "÷ bare workerd", "Notes"], startRows)}

## How to run

\`\`\`sh
npm run bench                   # ≈ 3 min on 2 cores; prints the tables, rewrites this file
npm run bench -- --quick        # ≈ 1.5 min smoke run (short cells)
npm run bench -- --no-write     # print only
npm run bench -- --skip-dev     # don't time \`npm run dev\` (it needs port 8787 free)
npm run bench -- --network-only # only the simulated-network table, printed (≈ 3 min)
npm run bench -- --rtt 0,50,150 # other round-trip times for that table (DB_LATENCY_MS=N: 0 and N)
npm run bench -- --ops          # only the per-operation table, printed (≈ 3–5 min)
npm run bench -- --cold         # only the cold-start row (Chromium, a new device), printed (≈ 1 min)
npm run bench -- --ops --only buyMarketItem,likeLoop --samples 9   # some operations
npm run bench -- --scale large  # cost as data grows: fills 110 000 users (≥ 10 M change-log rows), writes its section
npm run bench -- --scale small  # the same at CI size (≈ 4 min, mostly stack start-up and the interleaved cells)
npm run scale:fill -- --profile small            # the data generator alone, into a throw-away database (prints sizes)
npm run scale:fill -- --big --url <owner url>    # the big account alone, into a migrated database (prints its login)

npm run soak -- --seconds 20    # short convergence soak (what CI runs; ≈ 1–1.5 min)
npm run soak -- --seconds 1800 --users 8 --devices 4 --restarts 10   # long soak: 30 min, a Postgres restart every ≈ 3 min
npm run soak -- --seconds 60 --seed 12345   # same action schedule as a previous run (timing stays real)
npm run soak -- --help          # all knobs (users, devices, seed, restarts, outage length, drain bound)
\`\`\`

Everything runs on loopback in a private temp directory (own Postgres cluster, own wrangler state, free ports) and is torn down at the end or on Ctrl-C. \`GET /api/ping\` (workers/index.ts) exists for the bench: it is registered before the \`database\` middleware, so it opens no pool.

The soak (bench/soak.ts) drives several users × several devices through a faithful protocol client — client-generated ids, an \`Idempotency-Key\` per mutation, \`If-Match\` versions, WebSocket + pull by cursor (SPEC §4) — with random socket drops, offline periods with a queued outbox, lost responses retried with the same key, deliberate duplicate retries, and one Postgres restart mid-run (the API answers 503 meanwhile). It exits non-zero unless every device's view (built only from the change feed and socket messages) equals the server's lists, every acknowledged write is in the change feed, replays are exact, nothing is duplicated and no user sees another's data. A long soak is the same command with a larger \`--seconds\` (and \`--restarts N\`; the default is one restart per run); device outboxes are bounded, so it runs at the server's capacity without growing queues. The soak prints its seed and counts (mutations, acknowledged, retries, 503s survived, conflicts, reconnects, replays verified, outbox wait p50/p99/max).
`;
}

/** A few derived figures that explain where the time goes (computed, not hand-written). */
function readingNotes(rep: Report): string {
  const cells = rep.cells;
  const p50 = (route: string, conc: number) =>
    cells.find((c) => c.route.startsWith(route) && c.conc === conc)?.s.p50 ?? NaN;
  const ping1 = p50("GET /api/ping", 1);
  const health1 = p50("GET /api/health", 1);
  const read = p50("GET /api/user/inbox", 1);
  const poll304 = rep.polls.find((x) => x.kind.startsWith("304") && x.conc === 1)?.s.p50 ?? NaN;
  const poll200 = rep.polls.find((x) => x.kind.startsWith("200") && x.conc === 1)?.s.p50 ?? NaN;
  const q = (variant: string, route: string) =>
    rep.trips.find((t) => t.route === route && t.variant.startsWith(variant))?.queries ?? "?";
  const net = rep.network.filter((r) => r.rtt > 0).at(-1);
  const zero = rep.network.find((r) => r.rtt === 0);
  const at = (run: typeof net, route: string) => run?.rows.find((r) => r.route.startsWith(route))?.s.p50 ?? NaN;
  const added = (route: string) => (net ? (at(net, route) - at(zero, route)) / net.rtt : NaN);
  return [
    `- **Where a request's time goes.** Every query goes over the HTTP path on a kept-alive connection, so no request opens a database connection (X-Db-Connections 0): /api/health costs ${fmt(health1 - ping1)} ms over the no-DB route at c=1, and an authenticated read ${fmt(read - ping1)} ms — local CPU on this machine (workerd, the stand-in, Postgres), not handshakes.`,
    `- **Round trips.** A mutation sent the way the client sends it (with \`Idempotency-Key\`) costs ${q("with Idempotency-Key", "POST /api/user/inbox")} round trip: the session check and key claim lead the one-statement write (record + change log + cursor + the key's outcome) in one batch; storing the response for replays happens after the response. Without the key it is ${q("without", "POST /api/user/inbox")}; a replay ${q("idempotent replay", "POST /api/user/inbox")} (the refused batch, the key lookup, and another look while the first response is still being stored).`,
    `- **Over a network.** ${net ? `At ${net.rtt} ms RTT the network adds ${fmt(added("GET /api/user/inbox"), 2)} RTT to an authenticated read, ${fmt(added("POST /api/user/inbox +"), 2)} to a keyed create and ${fmt(added("GET /api/sync/changes → 304"), 2)} to an idle 304 poll (p50 at ${net.rtt} − p50 at 0); the rest of each p50 is the local time above.` : "Not measured in this run."}`,
    `- **Idle poll.** A 304 poll costs ${q("idle", "GET /api/sync/changes")} query (the session lookup, which also reads the cursor) against ${q("poll with", "GET /api/sync/changes")} for a poll with changes, and takes ${ratio(poll304, poll200)} its time (${fmt(poll304)} vs ${fmt(poll200)} ms at c=1).`,
    `- **Fan-out.** The socket message usually arrives before the writer's own HTTP response (p50 ${fmt(rep.fan.afterAck.p50)} ms relative to it), so the change → other devices latency is essentially the write's latency (${fmt(rep.fan.write.p50)} ms p50, ${fmt(rep.fan.write.p99)} ms p99).`,
  ].join("\n");
}

/** The per-operation budget as a Targets row. */
function opsTarget(run: OpsRun): [string, boolean, string] {
  const hi = Math.max(...run.rtts);
  const over = run.rows.filter((r) => !withinBudget(r, hi)).map((r) => r.op);
  return [
    `Every OpenAPI operation: 1 database round trip (≤ 2 for a named exception), 0 new connections at ${hi} ms RTT`,
    over.length === 0,
    over.length ? `${over.length} over: ${over.join(", ")}` : `all ${run.rows.length}`,
  ];
}
