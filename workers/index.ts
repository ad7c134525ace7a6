/**
 * Continuum's Worker: Hono serves /api/*; everything else is the built web app
 * (Workers Static Assets with SPA fallback, see wrangler.toml).
 */
import { app } from "./app";
import { runScheduled } from "./jobs/scheduled";

export { UserHub } from "./do/user-hub";

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const report = await runScheduled(env, new Date(controller.scheduledTime), (p) => ctx.waitUntil(p));
    const failed = Object.keys(report).filter((job) => !report[job]!.ok);
    if (failed.length) throw new Error(`scheduled jobs failed: ${failed.join(", ")}`);
  },
} satisfies ExportedHandler<Env>;
