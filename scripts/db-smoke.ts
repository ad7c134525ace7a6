/**
 * Starts the local database the way `npm run dev` does (data under
 * .data/postgres of this checkout), applies the migrations, runs one query and
 * stops. `.ci/private-checkout` runs it from a fresh 0700 clone as root.
 *
 *   node scripts/db-smoke.ts [--throwaway]
 */
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Pool } from "@neondatabase/serverless";
import { LocalDbError, startLocalDatabase } from "./local-db.ts";
import { migrate } from "./migrate.ts";

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
try {
  const db = await startLocalDatabase({ dataDir: ".data/postgres", quiet: true });
  try {
    await migrate(db.url, db.wsProxy);
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from users");
    await pool.end();
    console.log(`[db-smoke] Postgres ran from ${process.cwd()} (data in ${db.dataDir}); users: ${rows[0]!.n}`);
  } finally {
    await db.stop();
    // --throwaway: the clone is temporary, so is its cluster (which may live outside it).
    if (process.argv.includes("--throwaway")) await rm(db.dataDir, { recursive: true, force: true });
  }
} catch (err) {
  console.error(`[db-smoke] ${err instanceof LocalDbError ? err.message : String((err as Error)?.stack ?? err)}`);
  process.exit(1);
}
