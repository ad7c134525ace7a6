/**
 * Applies the committed drizzle-kit migrations in db/migrations.
 *
 *   DATABASE_URL=postgres://… npm run db:migrate
 *
 * Uses the same driver as the Worker (@neondatabase/serverless over
 * WebSocket): a Neon URL goes direct; a loopback URL goes through the local
 * relay (the one passed in, LOCAL_WS_PROXY, or one started just for this run).
 * Idempotent: drizzle records applied migrations in drizzle.__drizzle_migrations.
 * Every run ends by protecting new user tables (row-level security,
 * `continuum_protect_user_tables()`), whichever migration created them.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { migrate as drizzleMigrate } from "drizzle-orm/neon-serverless/migrator";
import ws from "ws";
import { configureDriver } from "../db/client.ts";
import { startRelay } from "./relay.ts";

const MIGRATIONS = fileURLToPath(new URL("../db/migrations", import.meta.url));

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** drizzle wraps the Postgres error in `cause`; the WebSocket driver throws ErrorEvents. */
export function describeError(err: unknown): string {
  const e = err as { message?: string; error?: { message?: string }; cause?: unknown };
  const msg = e?.message ?? e?.error?.message ?? String(err);
  return e?.cause ? `${msg}\n  caused by: ${describeError(e.cause)}` : msg;
}

export async function migrate(url: string, wsProxy?: string): Promise<void> {
  // Node has no WebSocket the driver can rely on everywhere; workerd does.
  neonConfig.webSocketConstructor = ws;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  if (!wsProxy && isLoopbackUrl(url)) {
    relay = await startRelay({ port: 0, dbPort: Number(new URL(url).port || 5432) });
    wsProxy = `127.0.0.1:${relay.port}/v1`;
  }
  configureDriver({ LOCAL_WS_PROXY: wsProxy });

  const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 15_000 });
  pool.on("error", () => {}); // idle-client errors surface on the next query anyway
  const client = await pool.connect();
  try {
    // Session-level lock on this one connection: a second concurrent run
    // waits here, then finds everything applied. drizzle runs the migration
    // transaction on the same client because we hand it a client, not the pool.
    await client.query("select pg_advisory_lock(hashtext('continuum:migrate'))");
    try {
      await drizzleMigrate(drizzle({ client }), { migrationsFolder: MIGRATIONS });
      // Row-level security for any user table the migrations just created (0039_declared_tables.sql):
      // a declared record type's table needs no migration of its own for it.
      await client.query("select continuum_protect_user_tables()");
    } finally {
      await client.query("select pg_advisory_unlock(hashtext('continuum:migrate'))").catch(() => {});
    }
  } finally {
    client.release();
    await pool.end().catch(() => {});
    await relay?.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set (npm run dev migrates its embedded database itself).");
    process.exit(1);
  }
  migrate(url, process.env.LOCAL_WS_PROXY || undefined).then(
    () => console.log(`Migrations applied to ${new URL(url).host}${new URL(url).pathname}.`),
    (err) => {
      console.error("Migration failed:", describeError(err));
      process.exit(1);
    },
  );
}
