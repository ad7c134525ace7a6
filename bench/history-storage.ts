/**
 * History storage per active user per day (issue 24): on a fresh local
 * cluster with the migrations applied, one "active day" of a user — the
 * edits and deletes of SPEC-sized todos, inbox items and references — is
 * written through the real tables (the history trigger fires as in
 * production), then the history partition's size is read from Postgres.
 *
 *   node bench/history-storage.ts     # prints the figures for docs/BENCHMARKS.md
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalDatabase } from "../scripts/local-db.ts";
import { migrate } from "../scripts/migrate.ts";
import { configureNodeDriver, nodePool } from "./lib.ts";

/** An active day (assumed; the SPEC gives none): 40 todo edits, 10 todo deletes, 20 inbox edits, 5 inbox deletes, 10 reference edits, 2 reference deletes. */
const DAY = { todoEdits: 40, todoDeletes: 10, inboxEdits: 20, inboxDeletes: 5, refEdits: 10, refDeletes: 2 };
const USERS = Number(process.env.USERS ?? 20);

const dir = mkdtempSync(path.join(tmpdir(), "continuum-history-bench-"));
const db = await startLocalDatabase({ dataDir: dir, quiet: true });
try {
  await migrate(db.url, db.directWsProxy);
  configureNodeDriver(db.directWsProxy);
  const pool = nodePool(db.url);
  const text = (n: number) => "x".repeat(n);
  for (let u = 0; u < USERS; u++) {
    const user = (
      await pool.query(`insert into users (email, username, password_hash) values ($1, $1, 'h') returning id`, [
        `h${u}@bench.local`,
      ])
    ).rows[0].id as string;
    const day = async (table: string, cols: string, vals: string, set: string, edits: number, deletes: number) => {
      const ids = (
        await pool.query(
          `insert into ${table} (id, user_id, ${cols}) select gen_random_uuid(), $1, ${vals} from generate_series(1, $2) returning id`,
          [user, Math.max(edits, deletes)],
        )
      ).rows.map((r) => r.id as string);
      for (let i = 0; i < edits; i++)
        await pool.query(`update ${table} set ${set}, version = version + 1 where user_id = $1 and id = $2`, [
          user,
          ids[i % ids.length],
        ]);
      for (let i = 0; i < deletes; i++)
        await pool.query(`delete from ${table} where user_id = $1 and id = $2`, [user, ids[ids.length - 1 - i]]);
    };
    await day("todos", "title", `'${text(40)}'`, "done = not done", DAY.todoEdits, DAY.todoDeletes);
    await day(
      "inbox_items",
      "title, description, tags",
      `'${text(60)}', '${text(200)}', array['work','later']`,
      `title = title || ''`,
      DAY.inboxEdits,
      DAY.inboxDeletes,
    );
    await day(
      "reference_items",
      "title, content, tags",
      `'${text(60)}', '${text(1500)}', array['notes']`,
      "pinned = not pinned",
      DAY.refEdits,
      DAY.refDeletes,
    );
  }
  const r = await pool.query(`
    select count(*)::int as rows,
      sum(pg_column_size(h.*))::bigint as row_bytes,
      (select sum(pg_total_relation_size(c.oid))::bigint from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'record_history'::regclass) as on_disk
    from record_history h`);
  const { rows, row_bytes, on_disk } = r.rows[0];
  const perUser = Number(on_disk) / USERS;
  console.log(
    JSON.stringify(
      {
        day: DAY,
        users: USERS,
        entries: rows,
        entries_per_user_day: rows / USERS,
        avg_entry_bytes: Math.round(Number(row_bytes) / rows),
        on_disk_bytes_per_user_day: Math.round(perUser),
        on_disk_kib_per_user_30_days: Math.round((perUser * 30) / 1024),
      },
      null,
      2,
    ),
  );
  await pool.end();
} finally {
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
