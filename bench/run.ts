/**
 * `npm run bench`: speed, cost and size of Continuum on this machine, against
 * the real local stack (wrangler dev/workerd + embedded Postgres + the local
 * stand-in for Neon's proxy). Prints the tables and writes docs/BENCHMARKS.md.
 *
 * Every figure that depends on machine speed comes with a ratio to a baseline
 * measured in the same run (a Worker route with no DB work, a bare SELECT 1
 * through the same driver and stand-in, a Durable Object WebSocket echo, a bare
 * workerd start). The simulated-network table runs the same routes with a
 * round-trip time between the Worker and the database (bench/network.ts).
 *
 *   npm run bench                   # full run, ≈ 4 minutes on 2 cores
 *   npm run bench -- --quick        # shorter cells (smoke test; figures are noisier)
 *   npm run bench -- --no-write     # don't touch docs/BENCHMARKS.md
 *   npm run bench -- --skip-dev     # don't time `npm run dev` start-up
 *   npm run bench -- --network-only # only the simulated-network table (prints)
 *   npm run bench -- --rtt 0,50,150 # other round-trip times for that table
 *   npm run bench -- --scale large  # cost as data grows (bench/scale/bench.ts): ≈ 15 min
 *
 * Sections: bench/api.ts, fanout.ts, network.ts, sizes.ts, startup.ts;
 * rendering: report.ts, network-report.ts; the stack: stack.ts.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { apiMatrix, idlePolling, roundTrips, selectOneBaselines } from "./api.ts";
import {
  armHardStop,
  BIG_MODE,
  NO_WRITE,
  COLD_MODE,
  CONCURRENCY,
  log,
  NETWORK_ONLY,
  NETWORK_RTTS,
  OPS_JSON,
  OPS_MODE,
  SCALE,
  SCALE_WRITE,
  started,
  WRITE,
} from "./config.ts";
import { fanOut } from "./fanout.ts";
import { configureNodeDriver, fmt, nodePool, seedUsers } from "./lib.ts";
import { renderNetwork } from "./network-report.ts";
import { networkTable } from "./network.ts";
import { assertComplete, opsTable, renderOps, type OpsRun } from "./ops.ts";
import { coldStart, renderColdStart } from "./cold-start.ts";
import { browserBig, renderBrowserBig, writeBrowserBig } from "./browser-big.ts";
import { render, type Report } from "./report.ts";
import { buildWeb, machine, pkgVersion, workerSize, type Sizes } from "./sizes.ts";
import { bundleWorker, ROOT, runNode, startStack } from "./stack.ts";
import { bareWorkerdStart, devStart } from "./startup.ts";
import { scaleBench } from "./scale/bench.ts";
import { renderScale, writeScale } from "./scale/report.ts";

armHardStop();
const loadAtStart = loadavg();
const notes: string[] = [];

async function main() {
  const scratch = path.join(tmpdir(), `continuum-bench-out-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

  if (SCALE) {
    const bundleDir = path.join(scratch, "worker");
    const b = await bundleWorker(bundleDir);
    if (!b.ok) throw new Error(`wrangler deploy --dry-run failed:\n${b.out.slice(-2000)}`);
    const run = await scaleBench(SCALE, bundleDir);
    const md = renderScale(run, new Date().toISOString().replace(/\.\d+Z$/, "Z"));
    process.stdout.write("\n" + md + "\n");
    if (SCALE_WRITE) {
      writeScale(ROOT, md);
      await runNode(
        [
          path.join(ROOT, "node_modules/prettier/bin/prettier.cjs"),
          "--write",
          path.join(ROOT, "docs/BENCHMARKS.md"),
          path.join(ROOT, "bench/scale/results.md"),
        ],
        { timeoutMs: 60_000 },
      );
      log("wrote bench/scale/results.md and its section of docs/BENCHMARKS.md");
    }
    const failures = [
      ...run.plans.seqScans.map((x) => `sequential scan of ${x.tables.join(", ")}: ${x.query.slice(0, 200)}`),
      ...run.jobs.filter((j) => !j.ok).map((j) => `job ${j.job} failed: ${j.error}`),
      ...(run.reset.status410 === 410 ? [] : [`an expired cursor got ${run.reset.status410}, not 410`]),
    ];
    if (failures.length) throw new Error(`scale bench:\n${failures.join("\n")}`);
    return;
  }

  log("building the web app (vite build) and the Worker bundle (wrangler deploy --dry-run)");
  const webSizes = await buildWeb(path.join(scratch, "web"));
  if (!webSizes.ok) notes.push(`web: ${webSizes.note}`);
  const bundleDir = path.join(scratch, "worker");
  const tBundle = performance.now();
  const b = await bundleWorker(bundleDir);
  const bundleMs = performance.now() - tBundle;
  if (!b.ok) throw new Error(`wrangler deploy --dry-run failed:\n${b.out.slice(-2000)}`);
  const sizes: Sizes = { web: webSizes, worker: workerSize(bundleDir) };

  const coldRtt = Math.max(...NETWORK_RTTS);
  if (COLD_MODE) {
    if (!webSizes.ok) throw new Error(`cold start needs the web build: ${webSizes.note}`);
    const cold = await coldStart(coldRtt, bundleDir, path.join(scratch, "web"));
    process.stdout.write("\n" + renderColdStart(cold) + "\n");
    return;
  }

  if (BIG_MODE) {
    if (!webSizes.ok) throw new Error(`the browser bench needs the web build: ${webSizes.note}`);
    const big = await browserBig(coldRtt, bundleDir, path.join(scratch, "web"));
    const table = renderBrowserBig(big);
    process.stdout.write("\n" + table + "\n");
    if (!NO_WRITE) {
      writeBrowserBig(ROOT, table);
      await runNode(
        [
          path.join(ROOT, "node_modules/prettier/bin/prettier.cjs"),
          "--write",
          "docs/BENCHMARKS.md",
          "bench/browser-big-results.md",
        ],
        { timeoutMs: 60_000 },
      );
    }
    return;
  }

  if (OPS_MODE) {
    const ops = await measureOps(bundleDir);
    process.stdout.write("\n" + renderOps(ops) + "\n");
    assertComplete(ops);
    return;
  }

  if (NETWORK_ONLY) {
    const network = await networkTable(NETWORK_RTTS, bundleDir);
    process.stdout.write("\n" + renderNetwork(network) + "\n");
    return;
  }

  const stack = await startStack({ bundleDir, assetsDir: webSizes.ok ? path.join(scratch, "web") : undefined, log });
  stack.timings.bundle = bundleMs;
  stack.timings.total += bundleMs;
  let report: Report | undefined;
  try {
    const users = await seedUsers(stack.db.url, stack.db.directWsProxy, 64, "bench");
    // 50 inbox items per user (not in the change log: only the lists read them).
    configureNodeDriver(stack.db.directWsProxy);
    const pool = nodePool(stack.db.url);
    await pool.query(
      `insert into inbox_items (id, user_id, title, description, tags)
       select gen_random_uuid(), u.id, 'seeded item ' || g, 'seeded by the bench', '{seed}'
       from users u, generate_series(1, 50) g where u.username like 'bench\\_%'`,
    );
    const pgVersion = String((await pool.query("select version() as v")).rows[0].v).split(" on ")[0]!;
    await pool.end();

    log("baselines: SELECT 1 through the Neon driver + relay");
    const select1 = await selectOneBaselines(stack);
    log(
      `SELECT 1 on open connections p50 ${CONCURRENCY.map((c) => `c=${c} ${fmt(select1.held[c]!.p50, 2)}`).join(", ")} ms; new connection p50 ${fmt(select1.fresh.p50, 2)} ms`,
    );

    log("API matrix");
    const cells = await apiMatrix(stack, users);
    log("round trips per request");
    const trips = await roundTrips(stack, users[0]!);
    for (const t of trips) log(`  ${t.route} [${t.variant}] → ${t.status}, ${t.queries} queries`);
    log("idle polling");
    const polls = await idlePolling(stack, users);
    log("fan-out");
    const fan = await fanOut(stack, users);
    await stack.stop();

    const network = await networkTable(NETWORK_RTTS, bundleDir);
    const ops = await measureOps(bundleDir);
    const cold = webSizes.ok ? await coldStart(coldRtt, bundleDir, path.join(scratch, "web")) : undefined;

    log("start-up: bare workerd baseline");
    const bare = await bareWorkerdStart();
    log("start-up: npm run dev");
    const dev = await devStart();
    log(
      `start-up: dev ${dev.ms ? fmt(dev.ms / 1000) + " s" : "n/a"} (${dev.note}); bare ${bare ? fmt(bare / 1000) + " s" : "n/a"}`,
    );

    report = {
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      cells,
      network,
      ops,
      cold,
      machine: machine(),
      versions: {
        node: process.versions.node,
        wrangler: pkgVersion("wrangler"),
        workerd: pkgVersion("workerd"),
        postgres: pgVersion,
        neon: pkgVersion("@neondatabase/serverless"),
        drizzle: pkgVersion("drizzle-orm"),
        hono: pkgVersion("hono"),
        vite: pkgVersion("vite"),
      },
      sizes,
      stackTimings: stack.timings,
      select1,
      trips,
      polls,
      fan,
      startup: { dev, bare },
      wallS: (Date.now() - started) / 1000,
      load: { start: loadAtStart, end: loadavg() },
    };
  } finally {
    await stack.stop();
  }
  const md = render(report!);
  assertComplete(report!.ops);
  process.stdout.write("\n" + md + "\n");
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  if (WRITE) {
    const out = path.join(ROOT, "docs/BENCHMARKS.md");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, md);
    // Keep `prettier --check .` green.
    await runNode([path.join(ROOT, "node_modules/prettier/bin/prettier.cjs"), "--write", out], { timeoutMs: 60_000 });
    log(`wrote ${path.relative(ROOT, out)}`);
  }
}

async function measureOps(bundleDir: string): Promise<OpsRun> {
  const ops = await opsTable(NETWORK_RTTS, bundleDir);
  if (OPS_JSON) writeFileSync(OPS_JSON, JSON.stringify(ops, null, 2));
  return ops;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error("[bench] failed:", err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
