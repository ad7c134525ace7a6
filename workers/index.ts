/**
 * Continuum's Worker: Hono serves /api/*; everything else is the built web app
 * (Workers Static Assets with SPA fallback, see wrangler.toml).
 */
import { openDb } from "../db/client";
import { app } from "./app";
import { cleanupAudio } from "./jobs/audio-cleanup";
import { pruneChangeLog, pruneExpired } from "./jobs/prune";

export { UserHub } from "./do/user-hub";

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const handle = openDb(env);
    try {
      await pruneChangeLog(handle.db, Number(env.CHANGE_LOG_RETENTION_DAYS));
      await pruneExpired(handle.db);
      await cleanupAudio(handle.db, env.AUDIO, { now: new Date(controller.scheduledTime) });
    } finally {
      ctx.waitUntil(handle.close());
    }
  },
} satisfies ExportedHandler<Env>;
