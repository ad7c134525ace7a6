import { createMiddleware } from "hono/factory";
import { openDb } from "../../db/client";
import type { AppEnv } from "../env";

/**
 * A database pool per request (Workers can't share I/O across requests),
 * closed after the response with waitUntil. `X-Db-Queries` reports how many
 * database round trips the request made, `X-Db-Connections` how many
 * WebSocket connections it opened (HTTP queries open none); the bench and the
 * round-trip tests read them. Work deferred with `handle.later()` (storing an
 * idempotent response, refreshing a session's expiry) runs after the
 * response, outside those counts.
 */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  const handle = openDb(c.env);
  c.set("db", handle.db);
  c.set("dbHandle", handle);
  try {
    await next();
  } finally {
    c.header("X-Db-Queries", String(handle.queries()));
    c.header("X-Db-Connections", String(handle.connections()));
    c.executionCtx.waitUntil(handle.runLater().finally(() => handle.close()));
  }
});
