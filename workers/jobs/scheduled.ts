/**
 * The Cron Trigger: every job runs on its own — one failing (its error is
 * logged) never skips the others — and the run reports what each removed.
 * The run as a whole fails (so the dashboard shows it) if any job did.
 */
import { openDb } from "../../db/client";
import { logFields } from "../errors";
import { endSessionSockets, relayChanges } from "../sync/relay";
import { cleanupAudio } from "./audio-cleanup";
import { pruneHistory } from "./history";
import { COMPACTION_WINDOW_MS, pruneChangeLog, pruneExpired } from "./prune";
import { counterSliceAt, reconcileStudioCounters } from "./studio-counters";

export type JobReport = Record<string, { ok: true; counts: Record<string, number> } | { ok: false; error: object }>;

export async function runScheduled(
  env: Env,
  now: Date,
  waitUntil: (p: Promise<unknown>) => void,
  /**
   * `userId` scopes every job to one user: tests share one database across
   * files, so a test's run must never touch another file's users. The Cron
   * Trigger (workers/index.ts) passes none.
   */
  scope: { userId?: string } = {},
): Promise<JobReport> {
  const handle = openDb(env);
  handle.asJobs(); // the jobs work across users: role continuum_jobs (db/migrations/0018_row_level_security.sql)
  const jobs: Record<string, () => Promise<Record<string, number>>> = {
    // The last window's changes only (index ranges), not the whole log: see pruneChangeLog.
    change_log: () =>
      pruneChangeLog(handle.db, Number(env.CHANGE_LOG_RETENTION_DAYS), {
        now,
        windowMs: COMPACTION_WINDOW_MS,
        ...scope,
      }),
    history: () => pruneHistory(handle.db, Number(env.HISTORY_RETENTION_DAYS ?? 30), { now, ...scope }),
    expired: () => pruneExpired(handle.db, now, (userId, ids) => endSessionSockets(env, userId, ids), scope),
    audio: () => cleanupAudio(handle.db, env.AUDIO, { now, ...scope }),
    // One sixteenth of the loops per hourly run (each loop at least daily): see COUNTER_SLICES.
    studio_counters: async () => ({
      drift_fixed: (
        await reconcileStudioCounters(handle.db, { ...scope, slice: counterSliceAt(now) }, (user, message) =>
          waitUntil(relayChanges(env, user, message)),
        )
      ).length,
    }),
  };
  const report: JobReport = {};
  try {
    for (const [name, job] of Object.entries(jobs)) {
      try {
        report[name] = { ok: true, counts: await job() };
      } catch (err) {
        report[name] = { ok: false, error: logFields(err) };
      }
    }
  } finally {
    waitUntil(handle.close());
  }
  const failed = Object.values(report).some((r) => !r.ok);
  (failed ? console.error : console.log)(
    JSON.stringify({ level: failed ? "error" : "info", msg: "scheduled jobs", jobs: report }),
  );
  return report;
}
