/**
 * Starts `wrangler dev` (workerd, local DOs/R2/rate limits) against a database
 * and waits until /api/health answers 200. Shared by the e2e tests and the
 * bench; `npm run dev` (scripts/dev.ts) runs it interactively itself.
 *
 * wrangler runs with this Node (22) in its own process group, so `stop()`
 * takes workerd down with it; a process exit kills the group as a last resort.
 */
import { createWriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./local-db.ts";
import { sleep, spawnGroup } from "./process-group.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const WRANGLER_BIN = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** Offline and quiet: no metrics, no `Request.cf` download, no update banner. */
export const QUIET_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  NO_COLOR: "1",
};

export interface WranglerDev {
  port: number;
  /** Recent wrangler/workerd output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export async function startWranglerDev(opts: {
  databaseUrl: string;
  wsProxy: string;
  /** LOCAL_SQL_ENDPOINT (default: `/sql` on the wsProxy's port). */
  sqlEndpoint?: string;
  persistTo: string;
  /** Extra arguments before the flags, e.g. a pre-built script and `--no-bundle`. */
  args?: string[];
  /** More Worker vars (e.g. the assistant's provider), as `--var KEY:VALUE`. */
  vars?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Also append everything wrangler/workerd print (the Worker's console.error lines) to this file. */
  logFile?: string;
}): Promise<WranglerDev> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    WRANGLER_BIN,
    "dev",
    ...(opts.args ?? []),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    opts.persistTo,
    // --var KEY:VALUE splits on the first ':' only, so URLs survive intact.
    "--var",
    `DATABASE_URL:${opts.databaseUrl}`,
    "--var",
    `LOCAL_WS_PROXY:${opts.wsProxy}`,
    ...(opts.sqlEndpoint ? ["--var", `LOCAL_SQL_ENDPOINT:${opts.sqlEndpoint}`] : []),
    ...Object.entries(opts.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  const proc = spawnGroup(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...QUIET_ENV } });
  const { child } = proc;
  if (opts.logFile) {
    const file = createWriteStream(opts.logFile, { flags: "a" });
    child.stdout?.on("data", (d: Buffer) => file.write(d));
    child.stderr?.on("data", (d: Buffer) => file.write(d));
    child.once("close", () => file.end());
  }
  const log = proc.output;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await proc.stop("SIGTERM", 5_000);
  };

  const timeout = opts.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeout;
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return { port, logs: log, stop };
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = String((err as Error).message ?? err);
    }
    await sleep(150);
  }
  await stop();
  throw new Error(`wrangler dev not healthy within ${timeout} ms (last: ${last}):\n${log()}`);
}
