/**
 * The one module that owns the database driver choice.
 *
 * Everywhere (production, `npm run dev`, tests) the driver is
 * `@neondatabase/serverless`'s WebSocket `Pool`, so interactive transactions
 * work. Production talks to Neon directly; locally `LOCAL_WS_PROXY` points the
 * driver at the WebSocket-to-TCP relay in scripts/relay.ts.
 *
 * Workers must not share I/O objects across requests, so a pool is created per
 * request (or per DO call) and closed with `ctx.waitUntil(close())`.
 */
import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema.ts";

export type Db = NeonDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface DbEnv {
  DATABASE_URL: string;
  /** `host:port/v1` of the local relay; unset in production. */
  LOCAL_WS_PROXY?: string;
}

/** Counts queries per pool; read by the bench through a response header. */
export interface DbHandle {
  db: Db;
  close(): Promise<void>;
  queries(): number;
}

export function configureDriver(env: Pick<DbEnv, "LOCAL_WS_PROXY">): void {
  const proxy = env.LOCAL_WS_PROXY;
  if (proxy) {
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    // The default pipelined connect assumes cleartext password auth; local
    // Postgres uses SCRAM.
    neonConfig.pipelineConnect = false;
  }
}

export function openDb(env: DbEnv): DbHandle {
  configureDriver(env);
  const pool = new Pool({
    connectionString: env.DATABASE_URL,
    // Fail fast when Postgres is down so the API can answer 503 promptly.
    connectionTimeoutMillis: 5_000,
    max: 4,
  });
  let count = 0;
  // Swallow idle-client errors (e.g. Postgres restarting); the query that
  // needs the connection reports its own error.
  pool.on("error", () => {});
  const counted = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "query") {
        return (...args: unknown[]) => {
          count++;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === "connect") {
        return async (...args: unknown[]) => {
          const client = await (
            target.connect as (...a: unknown[]) => Promise<{ query: (...a: unknown[]) => unknown }>
          ).apply(target, args);
          const query = client.query.bind(client);
          client.query = (...a: unknown[]) => {
            count++;
            return query(...a);
          };
          return client;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const db = drizzle({ client: counted as Pool, schema });
  return {
    db,
    queries: () => count,
    close: () => pool.end().catch(() => {}),
  };
}
