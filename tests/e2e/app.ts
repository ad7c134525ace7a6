/**
 * The whole app for end-to-end tests: the web build (rebuilt only when stale)
 * served by a real `wrangler dev` (workerd, local DOs/R2/Queues) that talks to
 * the run's embedded Postgres through the relay — the same way `npm run dev`
 * (scripts/dev.ts) runs it, on a free port with its own --persist-to dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);

const READY_TIMEOUT_MS = 120_000;
const BUILD_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 5_000;

export interface RunningApp {
  /** `http://localhost:<port>` — localhost, not 127.0.0.1, so the Secure cookie sticks. */
  url: string;
  port: number;
  /** Recent wrangler/workerd output, for failure messages. */
  logs(): string;
  /** Stops wrangler and workerd (the whole process group) and removes the persist dir. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

/** Everything the web bundle is built from (the @protocol alias reaches into workers/protocol). */
const WEB_INPUTS = [
  "web/index.html",
  "web/src",
  "web/public",
  "vite.config.ts",
  "workers/protocol",
  "package-lock.json",
];

/** Builds web/dist with vite unless it is newer than every input. */
export async function ensureWebBuilt(): Promise<void> {
  const built = existsSync(path.join(ROOT, "web/dist/index.html"))
    ? statSync(path.join(ROOT, "web/dist/index.html")).mtimeMs
    : 0;
  const inputs = Math.max(...WEB_INPUTS.map((p) => newestMtime(path.join(ROOT, p))));
  if (built && built >= inputs) return;
  let out = "";
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [bin("vite"), "build", "--logLevel", "warn"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`vite build timed out after ${BUILD_TIMEOUT_MS} ms\n${out}`));
    }, BUILD_TIMEOUT_MS);
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c ?? 1);
    });
  });
  if (code !== 0) throw new Error(`vite build failed (exit ${code}):\n${out}`);
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `wrangler dev` against the given database; resolves once /api/health
 * answers 200. `web: "fresh"` (default) rebuilds a stale web bundle first;
 * `"any"` — API-only tests — takes whatever build exists (building only if
 * there is none, since wrangler needs the assets directory).
 */
export async function startApp(opts: {
  databaseUrl: string;
  wsProxy: string;
  web?: "fresh" | "any";
}): Promise<RunningApp> {
  if (opts.web !== "any" || !existsSync(path.join(ROOT, "web/dist/index.html"))) await ensureWebBuilt();
  const port = await freePort();
  const inspectorPort = await freePort();
  const persist = mkdtempSync(path.join(tmpdir(), "continuum-e2e-wrangler-"));
  const args = [
    bin("wrangler"),
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persist,
    // --var KEY:VALUE splits on the first ':' only, so URLs survive intact.
    "--var",
    `DATABASE_URL:${opts.databaseUrl}`,
    "--var",
    `LOCAL_WS_PROXY:${opts.wsProxy}`,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  // Own process group, so stop() takes workerd down together with wrangler.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
      NO_COLOR: "1",
    },
  });
  let log = "";
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  // Never leave workerd behind, even if the test process dies without stop().
  const onExit = () => killGroup(child, "SIGKILL");
  process.once("exit", onExit);

  let stopped = false;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", onExit);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, "SIGTERM");
      await Promise.race([exited, sleep(STOP_GRACE_MS)]);
    }
    killGroup(child, "SIGKILL"); // workerd may outlive wrangler
    rmSync(persist, { recursive: true, force: true });
  };

  const url = `http://localhost:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return { url, port, logs: () => log, stop };
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = String((err as Error).message ?? err);
    }
    await sleep(200);
  }
  await stop();
  throw new Error(`wrangler dev not healthy within ${READY_TIMEOUT_MS} ms (last: ${last}):\n${log}`);
}
