/**
 * `npm run bench` options and the constants every bench section shares
 * (bench/run.ts wires the sections together).
 */
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    "skip-dev": { type: "boolean", default: false },
    "network-only": { type: "boolean", default: false },
    rtt: { type: "string" },
    ops: { type: "boolean", default: false },
    cold: { type: "boolean", default: false },
    big: { type: "boolean", default: false },
    only: { type: "string" },
    "ops-json": { type: "string" },
    samples: { type: "string" },
    scale: { type: "string" },
  },
  allowPositionals: false,
});

export const QUICK = opt.quick;
/** `--scale <profile>`: only the cost-as-data-grows run (bench/scale/bench.ts); writes its own section. */
export const SCALE = opt.scale;
export const WRITE = !opt["no-write"] && !opt["network-only"] && !opt.ops && !opt.cold && !opt.scale && !opt.big;
/** Whether a --scale run may write its section into docs/BENCHMARKS.md. */
export const SCALE_WRITE = !opt["no-write"];
export const SKIP_DEV = opt["skip-dev"] || process.env.BENCH_SKIP_DEV === "1";
/** Only the simulated-network table (prints, never writes docs/BENCHMARKS.md). */
export const NETWORK_ONLY = opt["network-only"];
/** Only the per-operation table (bench/ops.ts; prints, never writes docs/BENCHMARKS.md). */
export const OPS_MODE = opt.ops;
/** Only the cold-start row (bench/cold-start.ts; prints). */
export const COLD_MODE = opt.cold;
/** `--no-write`: print only. */
export const NO_WRITE = opt["no-write"];
/** Only the big account in the browser (bench/browser-big.ts; prints, and writes its section unless --no-write). */
export const BIG_MODE = opt.big;
/** `--only a,b`: just these operationIds in the per-operation table. */
export const OPS_ONLY = opt.only
  ?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
/** `--ops-json file`: the per-operation figures as JSON too. */
export const OPS_JSON = opt["ops-json"];
/** Sequential samples per operation and RTT (after one unrecorded warm-up). */
export const OPS_SAMPLES = Math.max(1, Number(opt.samples ?? 5) || 5);
/**
 * Round-trip times for the simulated-network table: `--rtt 0,100`, or
 * DB_LATENCY_MS (plus 0 for the same-run comparison), default 0 and 100.
 */
export const NETWORK_RTTS: number[] = (() => {
  const raw = opt.rtt ?? (process.env.DB_LATENCY_MS ? `0,${process.env.DB_LATENCY_MS}` : "0,100");
  const list = [...new Set(raw.split(",").map((x) => Number(x.trim())))];
  if (list.some((x) => !Number.isFinite(x) || x < 0))
    throw new Error(`--rtt: milliseconds, comma-separated (got ${raw})`);
  return list.sort((a, b) => a - b);
})();

/** Measured time per API cell, split over ROUNDS interleaved passes. */
export const CELL_MS = QUICK ? 1000 : 3000;
export const ROUNDS = QUICK ? 1 : 3;
/** Warm-up before each measured slice: at least one request latency at that concurrency. */
export const warmupFor = (conc: number) => (conc >= 64 ? 2500 : conc >= 16 ? 1000 : 300);
export const CONCURRENCY = [1, 16, 64];
export const FANOUT_USERS = 50;
export const SOCKETS_PER_USER = 3;
export const FANOUT_CHANGES_PER_USER = QUICK ? 2 : 5;
/** Think time between one user's changes: about 17 changes/s offered over 50 users. */
export const FANOUT_THINK_MS: [number, number] = [2000, 4000];
/** Sequential requests per route in the simulated-network table. */
export const NETWORK_SAMPLES = QUICK ? 10 : 20;
// Never run away (the per-operation table alone takes minutes at 100 ms RTT; a --scale large fill, tens of minutes on a busy machine).
const HARD_LIMIT_MS = (opt.scale ? 100 : 40) * 60_000;

export const started = Date.now();
export const log = (m: string) =>
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${m}\n`);

export function armHardStop(): void {
  const hardStop = setTimeout(() => {
    log("hard time limit reached; aborting");
    process.kill(process.pid, "SIGTERM");
  }, HARD_LIMIT_MS);
  hardStop.unref();
}

export const jitter = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
