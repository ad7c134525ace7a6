/**
 * `npm run clean`: removes this checkout's local data — the embedded Postgres
 * cluster `npm run dev` keeps (under .data/postgres, or as root its stand-in
 * under /var/tmp/continuum-postgres/data/, which outlives a deleted checkout),
 * the demo-seed marker and wrangler's local state (Durable Objects, R2). The
 * next `npm run dev` starts from an empty database. Other checkouts' clusters
 * are never touched. Refuses while this checkout's `npm run dev` runs.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveBinaries, stagedDataDir } from "./postgres.ts";
import { pidAlive } from "./process-group.ts";

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
const STATE = process.env.DEV_STATE_DIR || ".data";
const WRANGLER_STATE = process.env.DEV_STATE_DIR ? path.join(STATE, "wrangler-state") : ".wrangler/state";

const alive = (pidFile: string) => {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  return !!pid && pidAlive(pid);
};

function size(p: string): number {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of readdirSync(p)) total += size(path.join(p, e));
  return total;
}

async function main() {
  const cluster = path.join(STATE, "postgres");
  const bins = await resolveBinaries();
  const candidates = [cluster, ...(bins.stageRoot ? [stagedDataDir(cluster, bins.stageRoot)] : [])];
  const running = [path.join(STATE, "wrangler.pid"), ...candidates.map((d) => path.join(d, "postmaster.pid"))].filter(
    alive,
  );
  if (running.length) {
    console.error(`[clean] \`npm run dev\` is running in this checkout (${running[0]}): stop it first (Ctrl-C).`);
    process.exit(1);
  }
  let freed = 0;
  const removed: string[] = [];
  for (const p of [...candidates, path.join(STATE, "seeded.json"), WRANGLER_STATE]) {
    if (!existsSync(p)) continue;
    freed += size(p);
    rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }
  if (!removed.length) console.log("[clean] nothing to remove: this checkout has no local database.");
  else console.log(`[clean] removed ${removed.join(", ")} (${(freed / 1e6).toFixed(1)} MB).`);
}

await main();
