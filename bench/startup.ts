/**
 * Start-up times: `npm run dev` to its first 200, against the floor of a
 * one-line Worker under `wrangler dev`.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../scripts/local-db.ts";
import { spawnGroup } from "../scripts/process-group.ts";
import { SKIP_DEV } from "./config.ts";
import { QUIET_ENV, ROOT, sleep, WRANGLER_BIN } from "./stack.ts";

async function waitHealthy(url: string, deadlineMs: number, isAlive: () => boolean): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end && isAlive()) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) return true;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  return false;
}

const group = (cmd: string, args: string[]) =>
  spawnGroup(cmd, args, { cwd: ROOT, env: { ...process.env, ...QUIET_ENV }, keepOutput: 8000 });

/** Floor: `wrangler dev` of a one-line Worker with no bindings, to first 200. */
export async function bareWorkerdStart(): Promise<number | undefined> {
  const dir = path.join(tmpdir(), `continuum-bench-bare-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "index.js"), 'export default { fetch: () => new Response("ok") };\n');
  writeFileSync(
    path.join(dir, "wrangler.toml"),
    'name = "bare"\nmain = "index.js"\ncompatibility_date = "2026-10-01"\n',
  );
  const port = await freePort();
  const t0 = performance.now();
  const p = group(process.execPath, [
    WRANGLER_BIN,
    "dev",
    "-c",
    path.join(dir, "wrangler.toml"),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    path.join(dir, "state"),
    "--show-interactive-dev-session=false",
  ]);
  const ok = await waitHealthy(`http://127.0.0.1:${port}/`, 60_000, p.alive);
  const ms = performance.now() - t0;
  await p.stop("SIGTERM", 5000);
  rmSync(dir, { recursive: true, force: true });
  return ok ? ms : undefined;
}

export async function devStart(): Promise<{ ms?: number; note: string }> {
  if (SKIP_DEV) return { note: "skipped (--skip-dev)" };
  if (!existsSync(path.join(ROOT, "scripts/dev.ts"))) return { note: "scripts/dev.ts not present" };
  const probe = await fetch("http://127.0.0.1:8787/api/health", { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );
  if (probe) return { note: "port 8787 busy (another `npm run dev` is running) — not measured" };
  const hadData = existsSync(path.join(ROOT, ".data/postgres/PG_VERSION"));
  const t0 = performance.now();
  const p = group("npm", ["run", "dev"]);
  const ok = await waitHealthy("http://127.0.0.1:8787/api/health", 180_000, p.alive);
  const ms = performance.now() - t0;
  // Ctrl-C equivalent: dev.ts stops wrangler, the relay and Postgres itself.
  await p.stop("SIGINT", 20_000);
  if (!ok)
    return {
      note: `did not reach 200 on /api/health: ${p.output().trim().split("\n").slice(-2).join(" ").slice(0, 200)}`,
    };
  return {
    ms,
    note: hadData
      ? "existing .data/postgres (cluster init skipped); includes migrate check, vite build, wrangler dev"
      : "fresh .data (initdb included); includes migrate, vite build, wrangler dev, demo seed",
  };
}
