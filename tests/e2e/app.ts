/**
 * The whole app for end-to-end tests: the web build (rebuilt only when stale)
 * served by a real `wrangler dev` (workerd, local DOs/R2/Queues) that talks to
 * the run's embedded Postgres through the relay — the same way `npm run dev`
 * (scripts/dev.ts) runs it, on a free port with its own --persist-to dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, startWranglerDev } from "../../scripts/wrangler-dev.ts";

const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);

const READY_TIMEOUT_MS = 120_000;
const BUILD_TIMEOUT_MS = 180_000;

export interface RunningApp {
  /** `http://localhost:<port>` — localhost, not 127.0.0.1, so the Secure cookie sticks. */
  url: string;
  port: number;
  /** Recent wrangler/workerd output, for failure messages. */
  logs(): string;
  /** Stops wrangler and workerd (the whole process group) and removes the persist dir. */
  stop(): Promise<void>;
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
      // vitest sets NODE_ENV=test, which would make this a development build
      // (Solid's dev runtime, no service worker): build what users get.
      env: { ...process.env, NODE_ENV: "production" },
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
  /** More Worker vars, e.g. ASSISTANT_PROVIDER and friends. */
  vars?: Record<string, string>;
}): Promise<RunningApp> {
  if (opts.web !== "any" || !existsSync(path.join(ROOT, "web/dist/index.html"))) await ensureWebBuilt();
  const persist = mkdtempSync(path.join(tmpdir(), "continuum-e2e-wrangler-"));
  try {
    const worker = await startWranglerDev({
      databaseUrl: opts.databaseUrl,
      wsProxy: opts.wsProxy,
      persistTo: persist,
      readyTimeoutMs: READY_TIMEOUT_MS,
      ...(opts.vars ? { vars: opts.vars } : {}),
    });
    return {
      url: `http://localhost:${worker.port}`,
      port: worker.port,
      logs: worker.logs,
      async stop() {
        await worker.stop();
        rmSync(persist, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(persist, { recursive: true, force: true });
    throw err;
  }
}

/** Holds a free local port (something else already listening there) until `holder.close()`. */
export async function holdPort(): Promise<{ holder: Server; port: number }> {
  const holder = createServer();
  const port = await new Promise<number>((r) =>
    holder.listen(0, "127.0.0.1", () => r((holder.address() as { port: number }).port)),
  );
  return { holder, port };
}

/** A repo script (scripts/dev.ts, scripts/clean.ts) running as a child, its output kept. */
export interface ScriptRun {
  child: ChildProcess;
  output(): string;
  /** The exit code (1 when killed by a signal). */
  exited: Promise<number>;
}

/** Runs repo scripts under `env` and stops the ones still running (SIGTERM, then their exit) — for afterAll. */
export function scriptRunner() {
  const children: ChildProcess[] = [];
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM"); // dev.ts stops wrangler (its own process group), the relay and Postgres
    await exited;
  };
  return {
    run(script: string, env: NodeJS.ProcessEnv): ScriptRun {
      const child = spawn(process.execPath, [path.join(ROOT, script)], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env,
      });
      children.push(child);
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      const exited = new Promise<number>((r) => child.once("exit", (code) => r(code ?? 1)));
      return { child, output: () => out, exited };
    },
    stop,
    async stopAll(): Promise<void> {
      for (const c of children) await stop(c);
    },
  };
}
