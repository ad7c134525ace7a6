/**
 * Continuum's Worker: Hono serves /api/*; everything else is the built web app
 * (Workers Static Assets with SPA fallback, see wrangler.toml).
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { openDb } from "../db/client";
import type { AppEnv } from "./env";
import { AppError, errorBody, onError } from "./errors";
import { cleanupAudio } from "./jobs/audio-cleanup";
import { pruneChangeLog, pruneExpired } from "./jobs/prune";
import { requireJson } from "./middleware/content-type";
import { database } from "./middleware/db";
import { audio, isAudioUpload } from "./routes/audio";
import { auth } from "./routes/auth";
import { focus } from "./routes/focus";
import { health } from "./routes/health";
import { inbox } from "./routes/inbox";
import { libraries } from "./routes/libraries";
import { references } from "./routes/references";
import { settingsRoutes } from "./routes/settings";
import { sync } from "./routes/sync";

export { UserHub } from "./do/user-hub";

/** JSON bodies are small; audio has its own streaming limits. */
const JSON_BODY_LIMIT = 256 * 1024;
/** The JSON-only middleware, skipped for the two audio upload routes (binary streams). */
const jsonOnly =
  (mw: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
  (c, next) =>
    isAudioUpload(c.req) ? next() : mw(c, next);

/** Clients derive their clock offset from `Date` (Cloudflare sets it in production; local workerd doesn't). */
const serverDate: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.has("date")) c.header("Date", new Date().toUTCString());
};

const app = new Hono<AppEnv>()
  .use("/api/*", requestId(), secureHeaders(), serverDate, jsonOnly(requireJson))
  .use(
    "/api/*",
    jsonOnly(
      bodyLimit({
        maxSize: JSON_BODY_LIMIT,
        onError: () => {
          throw new AppError(413, "payload_too_large", `Request bodies are limited to ${JSON_BODY_LIMIT / 1024} KB.`);
        },
      }),
    ),
  )
  // No-DB baseline for the bench (registered before `database`, so it opens no pool).
  .get("/api/ping", (c) => c.json({ ok: true }))
  .use("/api/*", database);

app
  .route("/api/health", health)
  .route("/api/auth", auth)
  .route("/api/settings", settingsRoutes)
  .route("/api/user/inbox", inbox)
  // Before /api/focus, so its routes win.
  .route("/api/focus/libraries", libraries)
  .route("/api/focus", focus)
  .route("/api/audio", audio)
  .route("/api/references", references)
  .route("/api/sync", sync);

app.notFound((c) =>
  c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`), 404),
);
app.onError(onError);

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
