/**
 * Continuum's Worker: Hono serves /api/*; everything else is the built web app
 * (Workers Static Assets with SPA fallback, see wrangler.toml).
 */
import { openDb } from "../db/client";
import { app } from "./app";
import { runScheduled } from "./jobs/scheduled";
import { countPlays, type PlayMessage } from "./jobs/studio-counters";
import { relayChanges } from "./sync/relay";
import type { WriteScope } from "./sync/write";

export { UserHub } from "./do/user-hub";

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const report = await runScheduled(env, new Date(controller.scheduledTime), (p) => ctx.waitUntil(p));
    const failed = Object.keys(report).filter((job) => !report[job]!.ok);
    if (failed.length) throw new Error(`scheduled jobs failed: ${failed.join(", ")}`);
  },
  /** Studio plays (wrangler.toml [[queues.consumers]]): one transaction per batch; a failure retries the batch. */
  async queue(batch, env, ctx) {
    const handle = openDb(env);
    handle.asJobs(); // plays of many users' loops: the jobs role, as the cron jobs
    try {
      const relay: WriteScope["relay"] = (user, message) => ctx.waitUntil(relayChanges(env, user, message));
      await countPlays(
        handle.db,
        batch.messages.map((m) => m.body),
        relay,
      );
      batch.ackAll();
    } finally {
      ctx.waitUntil(handle.close());
    }
  },
} satisfies ExportedHandler<Env, PlayMessage>;
