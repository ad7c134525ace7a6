/**
 * Runs ONE hourly job (workers/jobs/*) from Node, exactly as the Cron Trigger
 * runs it (same functions, same driver, role continuum_jobs), and prints
 * `{ ms, counts }` as JSON. Started by bench/scale/jobs.ts under tsx (the
 * Worker's modules import without extensions, which plain Node can't resolve).
 *
 *   tsx bench/scale/jobs-runner.ts <job> <owner url> <ws proxy> <sql endpoint>
 */
import { neonConfig } from "@neondatabase/serverless";
import ws from "ws";
import { openDb, type Db } from "../../db/client";

// Loaded by path, not typed through: the jobs' modules reach Worker-only types
// (Env, Ai) that this Node-side project does not declare. The functions are the Worker's own.
const load = (p: string): Promise<Record<string, (...args: any[]) => Promise<any>>> => import(p);
const prune = await load("../../workers/jobs/prune");
const { pruneChangeLog, pruneExpired } = prune;
const windowMs = (prune as unknown as { COMPACTION_WINDOW_MS: number }).COMPACTION_WINDOW_MS;
const { pruneHistory } = await load("../../workers/jobs/history");
const { reconcileStudioCounters } = await load("../../workers/jobs/studio-counters");

const [job, url, wsProxy, sqlEndpoint] = process.argv.slice(2) as [string, string, string, string];
neonConfig.webSocketConstructor = ws;
const handle = openDb({ DATABASE_URL: url, LOCAL_WS_PROXY: wsProxy, LOCAL_SQL_ENDPOINT: sqlEndpoint });
handle.asJobs();
const RETENTION_DAYS = 30; // wrangler.toml CHANGE_LOG_RETENTION_DAYS and HISTORY_RETENTION_DAYS
const db: Db = handle.db;
const jobs: Record<string, () => Promise<Record<string, number>>> = {
  // What the Cron Trigger runs (scheduled.ts): the last window's changes only.
  change_log: () => pruneChangeLog!(db, RETENTION_DAYS, { windowMs }),
  // The full pass (the hourly algorithm before issue #22, now the catch-up mode): O(whole log).
  change_log_full: () => pruneChangeLog!(db, RETENTION_DAYS),
  expired: () => pruneExpired!(db),
  // As the cron runs it: this hour's slice (a sixteenth of the loops).
  studio_counters: async () => ({
    drift_fixed: ((await reconcileStudioCounters!(db, { slice: new Date().getUTCHours() % 16 })) as unknown[]).length,
  }),
  history: () => pruneHistory!(db, RETENTION_DAYS),
};
const run = jobs[job];
if (!run) throw new Error(`unknown job ${job}`);
const t0 = performance.now();
const counts = await run();
const ms = performance.now() - t0;
await handle.close();
process.stdout.write(JSON.stringify({ ms, counts }) + "\n");
process.exit(0);
