/**
 * The data generator as a command (bench/scale/generate.ts does the work).
 *
 *   node bench/scale/fill.ts --profile small                 # a throw-away embedded Postgres: fill, report, remove
 *   node bench/scale/fill.ts --profile large --keep          # …and keep it running (prints its URL; Ctrl-C stops)
 *   node bench/scale/fill.ts --profile large --users 3000    # a big profile's shape with fewer users
 *   node bench/scale/fill.ts --profile small --url <owner url>  # into an existing, migrated database
 *   node bench/scale/fill.ts --big --url <owner url> [--username u --password p]  # just the big account
 *
 * Prints the row counts and disk of every table, the fill time per step and
 * the big account's login (username, password, a bearer token).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startLocalDatabase } from "../../scripts/local-db.ts";
import { migrate } from "../../scripts/migrate.ts";
import { bulkLoadSettings, fillBigAccount, fillScale, type SqlClient } from "./generate.ts";
import { profileNamed } from "./profiles.ts";
import { renderSizes, tableSizes } from "./sizes.ts";

const { values: opt } = parseArgs({
  options: {
    profile: { type: "string", default: "small" },
    url: { type: "string" },
    big: { type: "boolean", default: false },
    username: { type: "string" },
    password: { type: "string" },
    keep: { type: "boolean", default: false },
    /** Override the profile's user count (a quick run of a big profile's shape). */
    users: { type: "string" },
  },
});
const log = (m: string) => process.stderr.write(`[scale] ${m}\n`);

let dir: string | undefined;
let url = opt.url;
let stop: (() => Promise<void>) | undefined;
if (!url) {
  dir = mkdtempSync(path.join(tmpdir(), "continuum-scale-"));
  const db = await startLocalDatabase({ dataDir: dir, quiet: true });
  stop = () => db.stop();
  await migrate(db.url, db.directWsProxy);
  url = db.url;
  log(`throw-away database at ${url} (${db.dataDir})`);
}
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const c = client as unknown as SqlClient;
  if (opt.big) {
    const big = await fillBigAccount(c, { username: opt.username, password: opt.password, log });
    log(`big account filled in ${(big.ms / 1000).toFixed(1)} s`);
    process.stdout.write(JSON.stringify(big, null, 2) + "\n");
  } else {
    // Only into the throw-away database: fsync off for the load (bulkLoadSettings), restored after.
    if (!opt.url) await bulkLoadSettings(c, true);
    const profile = profileNamed(opt.profile!);
    const report = await fillScale(c, opt.users ? { ...profile, users: Number(opt.users) } : profile, {
      log,
      bigUsername: opt.username,
      bigPassword: opt.password,
      connect: async () => {
        const extra = new pg.Client({ connectionString: url });
        await extra.connect();
        return extra as unknown as SqlClient & { end(): Promise<void> };
      },
    });
    if (!opt.url) await bulkLoadSettings(c, false);
    process.stdout.write(renderSizes(await tableSizes(c)) + "\n");
    process.stdout.write(
      `filled profile ${report.profile}: ${report.users} users in ${(report.ms / 1000).toFixed(1)} s\n` +
        Object.entries(report.steps)
          .map(([k, ms]) => `  ${k}: ${(ms / 1000).toFixed(1)} s`)
          .join("\n") +
        "\n",
    );
    if (report.big) process.stdout.write(`big account: ${JSON.stringify(report.big, null, 2)}\n`);
  }
} finally {
  await client.end();
}
if (opt.keep && stop) {
  log(`keeping the database at ${url}; Ctrl-C stops and removes it`);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
}
if (stop) {
  await stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
