import { sql } from "drizzle-orm";
import { z } from "zod";
import { createApi, jsonContent, register, route } from "../http/openapi";

/** Liveness plus database reachability (503 database_unavailable when down, via onError). */
export const health = createApi();

const healthSchema = z.object({
  status: z.literal("ok"),
  database: z.object({ reachable: z.boolean(), latency_ms: z.number() }),
});

register(
  health,
  route({
    method: "get",
    path: "/",
    session: "none",
    tags: ["Meta"],
    operationId: "health",
    responses: { 200: jsonContent(healthSchema, "The Worker and its database answer") },
  }),
  async (c) => {
    const started = Date.now();
    await c.var.db.execute(sql`select 1`);
    return c.json({ status: "ok" as const, database: { reachable: true, latency_ms: Date.now() - started } });
  },
);
