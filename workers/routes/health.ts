import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../env";

/** Liveness plus database reachability (503 database_unavailable when down, via onError). */
export const health = new Hono<AppEnv>().get("/", async (c) => {
  const started = Date.now();
  await c.var.db.execute(sql`select 1`);
  return c.json({ status: "ok", database: { reachable: true, latency_ms: Date.now() - started } });
});
