/**
 * Idempotency-key expiry before and after partitioning by day (issue #22,
 * db/migrations/0046), in one run on one throw-away Postgres:
 *
 *   before  the old table (one heap, primary key (user_id, key), an index on
 *           created_at) and the old job's statement: delete due keys in
 *           batches of 1 000 through the created_at index;
 *   after   today's table, the same keys in a past day's partition, and the
 *           job's statement: drop that partition (continuum_key_partition_drop).
 *
 * Same rows (N keys of a ~250 B stored response, as the data generator makes
 * them, over 5 000 users), each side after a checkpoint; time, WAL written
 * (pg_current_wal_lsn, the writer's own WAL subtracted at its measured rate)
 * and what a writer sees: two connections inserting fresh keys into the same
 * table in a loop, p50/p99 alone and during the job.
 *
 *   node bench/scale/keys-expiry.ts --keys 1000000
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startLocalDatabase } from "../../scripts/local-db.ts";
import { migrate } from "../../scripts/migrate.ts";
import { summarize, type Summary } from "../lib.ts";
import { bulkLoadSettings, type SqlClient } from "./generate.ts";

const { values: opt } = parseArgs({ options: { keys: { type: "string", default: "1000000" } } });
const N = Number(opt.keys);
const USERS = 5000;
const log = (m: string) => process.stderr.write(`[keys] ${m}\n`);

const dir = mkdtempSync(path.join(tmpdir(), "continuum-keys-"));
const db = await startLocalDatabase({ dataDir: dir, quiet: true });
await migrate(db.url, db.directWsProxy);
const owner = new pg.Client({ connectionString: db.url });
await owner.connect();
const q = (text: string, params: unknown[] = []) => owner.query(text, params);

const lsn = async () => String((await q("select pg_current_wal_lsn()::text as l")).rows[0].l);
const walSince = async (from: string) =>
  Number((await q("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::float8 as d", [from])).rows[0].d);

/** Fresh keys into `table`, two connections, until stopped: each insert's latency. */
async function writer(table: string) {
  const conns = await Promise.all(
    [0, 1].map(async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      return c;
    }),
  );
  const latencies: number[] = [];
  const state = { running: true };
  const done = Promise.all(
    conns.map(async (c, s) => {
      for (let i = 0; state.running; i++) {
        const t = performance.now();
        await c.query(
          `insert into ${table} (user_id, key, request_hash, status, body)
           select id, gen_random_uuid()::text, 'h', 201, repeat('x', 250) from users offset $1 limit 1`,
          [(s * 7919 + i) % USERS],
        );
        latencies.push(performance.now() - t);
      }
    }),
  );
  return {
    async stop(): Promise<Summary> {
      state.running = false;
      await done;
      await Promise.all(conns.map((c) => c.end()));
      return summarize(latencies);
    },
  };
}

interface Side {
  side: string;
  ms: number;
  walBytes: number;
  rows: number;
  alone: Summary;
  during: Summary;
}

async function measure(side: string, table: string, job: () => Promise<number>): Promise<Side> {
  await q("checkpoint");
  const alone = await writer(table);
  const w0 = await lsn();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 4000));
  const aloneSummary = await alone.stop();
  const writerWalPerMs = (await walSince(w0)) / (performance.now() - t0);
  await q("checkpoint");
  const during = await writer(table);
  const l0 = await lsn();
  const j0 = performance.now();
  const rows = await job();
  const ms = performance.now() - j0;
  const duringSummary = await during.stop();
  const walBytes = Math.max(0, (await walSince(l0)) - writerWalPerMs * ms);
  const r = { side, ms, walBytes, rows, alone: aloneSummary, during: duringSummary };
  log(
    `${side}: ${(ms / 1000).toFixed(2)} s, ${rows} keys, WAL ${(walBytes / 1048576).toFixed(1)} MB; ` +
      `writer p50 ${aloneSummary.p50.toFixed(1)} → ${duringSummary.p50.toFixed(1)} ms, p99 ${aloneSummary.p99.toFixed(1)} → ${duringSummary.p99.toFixed(1)} ms (${duringSummary.n} writes during)`,
  );
  return r;
}

try {
  await bulkLoadSettings(owner as unknown as SqlClient, true);
  await q(`insert into users (email, username, password_hash)
    select 'keys' || g || '@example.test', 'keys_' || g, 'x' from generate_series(1, ${USERS}) g`);
  // The keys of one day, three days ago (due): as the generator shapes them (bench/scale/records.ts).
  const day = "(now() at time zone 'UTC')::date - 3";
  await q(`select continuum_key_partitions(${day}, 1)`);
  const fill = (table: string, withDay: boolean) =>
    q(`insert into ${table} (user_id, key, request_hash, status, headers, body, created_at${withDay ? ", claimed_on" : ""})
      select u.id, gen_random_uuid()::text, md5(g::text), 201, '{"content-type":"application/json"}',
        '{"id":"' || gen_random_uuid() || '","title":"' || repeat('x', 200) || '"}',
        (${day})::timestamp at time zone 'UTC' + (g::float8 / ${N}) * interval '1 day'${withDay ? `, ${day}` : ""}
      from generate_series(1, ${N}) g join (select id, row_number() over () - 1 as n from users) u on u.n = g % ${USERS}`);
  // Before: the table as it was (0000 + 0007), filled the same way.
  await q(`create table keys_before (user_id uuid not null references users(id) on delete cascade, key text not null,
    request_hash text not null, status integer, headers jsonb, body text, outcome jsonb,
    created_at timestamptz not null default now(), primary key (user_id, key))`);
  await q(`create index keys_before_created_idx on keys_before (created_at)`);
  log(`filling ${N} keys twice…`);
  await fill("keys_before", false);
  await fill("idempotency_keys", true);
  await bulkLoadSettings(owner as unknown as SqlClient, false);
  await q("vacuum analyze keys_before");
  await q("vacuum analyze idempotency_keys");
  const sizes = (
    await q(`select pg_total_relation_size('keys_before')::float8 as before,
      pg_total_relation_size(format('idempotency_keys_p%s', to_char(${day}, 'YYYYMMDD'))::regclass)::float8 as part`)
  ).rows[0];
  log(
    `disk: old table ${(sizes.before / 1048576).toFixed(0)} MB, the day's partition ${(sizes.part / 1048576).toFixed(0)} MB`,
  );

  const before = await measure("before (row by row)", "keys_before", async () => {
    let total = 0;
    for (;;) {
      // The old job's statement (workers/jobs/prune.ts before 0046).
      const r = await q(`with dropped as (
          delete from keys_before where (user_id, key) in (
            select user_id, key from keys_before where created_at < now() - interval '24 hours' limit 1000)
          returning 1)
        select count(*)::int as n from dropped`);
      total += r.rows[0].n;
      if (r.rows[0].n < 1000) return total;
    }
  });
  const after = await measure("after (drop the day)", "idempotency_keys", async () => {
    const name = (await q(`select format('idempotency_keys_p%s', to_char(${day}, 'YYYYMMDD')) as n`)).rows[0].n;
    const rows = Number((await q(`select reltuples::float8 as r from pg_class where relname = $1`, [name])).rows[0].r);
    const ok = (await q(`select continuum_key_partition_drop($1) as ok`, [name])).rows[0].ok;
    if (!ok) throw new Error(`${name} was not dropped`);
    return rows;
  });
  const mb = (b: number) => (b / 1048576).toFixed(1);
  process.stdout.write(
    [
      `| expiry of ${N.toLocaleString("en")} keys | time (s) | WAL (MB) | WAL per key (B) | writer p50 alone → during (ms) | writer p99 alone → during (ms) |`,
      `| --- | ---: | ---: | ---: | ---: | ---: |`,
      ...[before, after].map(
        (s) =>
          `| ${s.side} | ${(s.ms / 1000).toFixed(2)} | ${mb(s.walBytes)} | ${(s.walBytes / Math.max(1, s.rows)).toFixed(0)} | ${s.alone.p50.toFixed(1)} → ${s.during.p50.toFixed(1)} | ${s.alone.p99.toFixed(1)} → ${s.during.p99.toFixed(1)} |`,
      ),
      "",
    ].join("\n"),
  );
} finally {
  await owner.end();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
