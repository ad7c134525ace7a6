/**
 * The database as the tables' owner, for tests that set up or inspect rows
 * directly. The Worker itself connects as continuum_app, under row-level
 * security (db/migrations/0018_row_level_security.sql); the owner here is a
 * superuser, which bypasses it.
 */
import { env } from "cloudflare:workers";
import type { SQL } from "drizzle-orm";
import { openDb } from "../../db/client";

export const ownerEnv = {
  ...env,
  DATABASE_URL: (env as unknown as { OWNER_DATABASE_URL: string }).OWNER_DATABASE_URL,
};

export const openOwnerDb = () => openDb(ownerEnv);

/** `fn` on a fresh owner connection, closed after (setup the API can't do: time travel, filling a quota). */
export async function withOwnerDb<T>(fn: (db: ReturnType<typeof openDb>["db"]) => Promise<T>): Promise<T> {
  const handle = openOwnerDb();
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/** The rows one statement returns, run as the owner. */
export const dbRows = <T = any>(query: SQL): Promise<T[]> =>
  withOwnerDb(async (db) => (await db.execute(query)).rows as T[]);
