import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { neon, NeonDbError } from "@neondatabase/serverless";
import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { configureDriver } from "../../db/client";
import { isDatabaseUnavailable, onError } from "../../workers/errors";
import worker from "../../workers/index";

/**
 * The outage cluster is a second real Postgres that this test stops and
 * starts. The same Worker code runs with DATABASE_URL pointing at it — over
 * the HTTP query path (health, login, session checks) and the WebSocket one
 * (signup's interactive transaction) alike.
 */
const outageEnv = () => ({
  ...env,
  DATABASE_URL: (env as any).OUTAGE_DATABASE_URL,
  LOCAL_WS_PROXY: (env as any).OUTAGE_WS_PROXY,
  LOCAL_SQL_ENDPOINT: (env as any).OUTAGE_SQL_ENDPOINT,
});
const control = (action: "stop" | "start") => fetch(`${(env as any).CONTROL_URL}/outage/${action}`, { method: "POST" });

async function request(path: string, init?: RequestInit) {
  // The Worker's own fetch handler, with bindings that point at the outage cluster.
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://localhost${path}`, init) as any, outageEnv() as any, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("database outage", () => {
  test("Postgres down → 503 database_unavailable with Retry-After; back up → next request succeeds", async () => {
    expect((await request("/api/health")).status).toBe(200);
    expect((await control("stop")).status).toBe(204);
    try {
      for (const [path, init] of [
        ["/api/health", undefined],
        [
          "/api/auth/login",
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ login: "x", password: "y" }),
          },
        ],
        ["/api/user/inbox", { headers: { authorization: "Bearer whatever" } }],
      ] as const) {
        const res = await request(path, init);
        expect(res.status, path).toBe(503);
        expect(res.headers.get("retry-after")).toBeTruthy();
        const body = (await res.json()) as any;
        expect(body.error.code).toBe("database_unavailable");
        expect(JSON.stringify(body)).not.toMatch(/ECONN|stack|127\.0\.0\.1/);
      }
      // The driver's HTTP path itself, through the stand-in for Neon's /sql endpoint.
      configureDriver(outageEnv());
      const err = await neon(outageEnv().DATABASE_URL)`select 1`.catch((e: unknown) => e);
      expect(isDatabaseUnavailable(err)).toBe(true);
    } finally {
      expect((await control("start")).status).toBe(204);
    }
    const back = await request("/api/health");
    expect(back.status).toBe(200);
    const signup = await request("/api/auth/signup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "after-outage@example.test", username: "after_outage", password: "0123456789ab" }),
    });
    expect(signup.status).toBe(201);
  });

  test("a connection Postgres dropped under the pool (the soak's 500s): 503, never 500", async () => {
    // What the driver raises when the stand-in for Neon's /sql loses its pooled connection to a
    // stopping Postgres (a 400 without a SQLSTATE, in node-postgres' words), wrapped by drizzle as
    // on the like route in the soak's log: "Failed query: select continuum_like(…)" ← NeonDbError.
    const lost = (message: string, code?: string) => {
      const driver = Object.assign(new NeonDbError(message), { code });
      return new Error("Failed query: select continuum_like($1, $2, $3, $4) as r", { cause: driver });
    };
    const app = new Hono();
    let thrown: Error = new Error("unset");
    app.get("/", () => {
      throw thrown;
    });
    app.onError(onError);
    for (const err of [
      lost("Client has encountered a connection error and is not queryable"),
      lost("Client was closed and is not queryable"),
      lost("read ECONNRESET", "ECONNRESET"),
      lost("write EPIPE", "EPIPE"),
    ]) {
      expect(isDatabaseUnavailable(err), String((err.cause as Error).message)).toBe(true);
      thrown = err;
      const res = await app.request("/");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect(((await res.json()) as any).error.code).toBe("database_unavailable");
    }
    // A query's own error is still the query's (a 500 names a bug, not an outage).
    expect(isDatabaseUnavailable(lost('relation "nope" does not exist', "42P01"))).toBe(false);
  });
});
