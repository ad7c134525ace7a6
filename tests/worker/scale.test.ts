/**
 * The data generator (bench/scale/generate.ts, issue #22) at its `small`
 * profile, in the shared test database: what it writes must be data the app
 * accepts as its own — cursors consistent with the log, ledgers that sum to
 * the wallet, quotas kept, a big account that signs in and whose change feed
 * from the start rebuilds exactly its tables, and a cursor older than the
 * retention answered 410.
 */
import { env } from "cloudflare:workers";
import { Pool, type PoolClient } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fillScale, type FillReport } from "../../bench/scale/generate";
import { growingSeqScans, type PlanNode } from "../../bench/scale/plans";
import { profileNamed } from "../../bench/scale/profiles";
import { configureDriver } from "../../db/client";
import { entities, isEntity } from "../../workers/protocol/registry";
import { QUOTAS } from "../../workers/protocol/rules";
import { as, call } from "../support/api";

const hasIndexPath = (n: PlanNode): boolean =>
  /^(Index Scan|Index Only Scan|Bitmap Index Scan)$/.test(n["Node Type"]) || (n.Plans ?? []).some(hasIndexPath);

/** A catalog item (db/migrations: the seeded market). */
const CATALOG_ITEM = "00000000-0000-4000-8000-00000000c002";
const ownerUrl = (env as unknown as { OWNER_DATABASE_URL: string }).OWNER_DATABASE_URL;
let pool: Pool;
let client: PoolClient;
let report: FillReport;
const q = async (text: string, params: unknown[] = []) => (await client.query(text, params)).rows as any[];

beforeAll(async () => {
  configureDriver(env);
  pool = new Pool({ connectionString: ownerUrl, max: 1 });
  client = await pool.connect();
  report = await fillScale(client, profileNamed("small"));
}, 180_000);

afterAll(async () => {
  client?.release();
  await pool?.end();
});

/** The generated users (and no one else's): their usernames share the fill's tag. */
const ours = () => `username like '${report.big!.username.replace(/_big$/, "")}\\_%'`;

describe("data generator (small profile)", () => {
  test("every user's cursor is its log's last entry, with no gap; the cursor floor is below it", async () => {
    const bad = await q(`
      select u.username, u.change_seq, u.change_floor, count(c.seq) as n, max(c.seq) as last
      from users u left join change_log c on c.user_id = u.id
      where ${ours()}
      group by u.id
      having u.change_seq <> coalesce(max(c.seq), 0) or count(c.seq) <> u.change_seq or u.change_floor > u.change_seq`);
    expect(bad).toEqual([]);
    const [{ users }] = await q(`select count(*)::int as users from users where ${ours()}`);
    expect(users).toBe(report.users);
  });

  test("every wallet is its ledger's sum and its last balance_after; nothing is below zero", async () => {
    const bad = await q(`
      select u.username, w.balance, sum(t.amount) as ledger
      from users u join user_wallet w on w.user_id = u.id join market_transactions t on t.user_id = u.id
      where ${ours()}
      group by u.id, w.balance
      having w.balance <> sum(t.amount)
        or w.balance <> (array_agg(t.balance_after order by t.created_at desc, t.balance_after))[1]
        or min(t.balance_after) < 0`);
    expect(bad).toEqual([]);
  });

  test("ordinary users stay within every per-user quota", async () => {
    const [over] = await q(`
      select max((select count(*) from inbox_items i where i.user_id = u.id)) as inbox,
             max((select count(*) from todos t where t.user_id = u.id)) as todos,
             max((select count(*) from reference_items r where r.user_id = u.id)) as refs,
             max((select count(*) from loops l where l.user_id = u.id)) as loops
      from users u where ${ours()}`);
    expect(Number(over.inbox)).toBeLessThanOrEqual(QUOTAS.inbox_items);
    expect(Number(over.todos)).toBeLessThanOrEqual(QUOTAS.todos);
    expect(Number(over.refs)).toBeLessThanOrEqual(QUOTAS.references);
    expect(Number(over.loops)).toBeLessThanOrEqual(QUOTAS.loops);
  });

  test("the big account signs in with its password, and its feed from the start rebuilds its tables", async () => {
    const big = report.big!;
    const login = await call("POST", "/api/auth/login", {
      json: { login: big.username, password: big.password },
      headers: { "cf-connecting-ip": "198.51.100.222" },
    });
    expect(login.status).toBe(200);
    const me = { token: login.body.token as string };

    const state = new Map<string, number>(); // entity:id → version
    let since: string | undefined;
    let cursor = "";
    for (;;) {
      const page = await as(me).get(`/api/sync/changes?limit=1000${since ? `&since=${since}` : ""}`);
      expect(page.status).toBe(200);
      for (const c of page.body.changes) {
        if (c.op === "delete") state.delete(`${c.entity}:${c.id}`);
        else state.set(`${c.entity}:${c.id}`, c.version);
      }
      cursor = page.body.cursor;
      if (!page.body.has_more) break;
      since = cursor;
    }
    expect(Number(cursor)).toBe(big.cursor);

    // What the tables hold for this user, entity by entity (versions included).
    const expected = new Map<string, number>();
    for (const [name, record] of Object.entries(entities)) {
      if (!isEntity(name)) continue;
      const table = (record.table as any)[Symbol.for("drizzle:Name")] as string;
      const idColumn = name === "loop_like" ? "loop_id" : "id";
      const version = name === "loop_like" ? "1" : "version";
      for (const r of await q(`select ${idColumn} as id, ${version} as v from ${table} where user_id = $1`, [big.id]))
        expected.set(`${name}:${r.id}`, Number(r.v));
    }
    expect(state.size).toBe(expected.size);
    expect(new Map([...state].sort())).toEqual(new Map([...expected].sort()));
  });

  test("a cursor older than the retention gets 410 cursor_expired; one at the floor does not", async () => {
    const big = report.big!;
    // The floor: the newest deleted tombstone, or one still kept (its grace) but past the 30-day retention.
    const [{ floor }] = await q(
      `select greatest(u.change_floor, (select max(seq) from change_log c
         where c.user_id = u.id and c.op = 'delete' and c.created_at < now() - interval '30 days')) as floor
       from users u where u.id = $1`,
      [big.id],
    );
    expect(Number(floor)).toBeGreaterThan(1);
    const old = await as(big).get(`/api/sync/changes?since=1`);
    expect(old.status).toBe(410);
    expect(old.body.error.code).toBe("cursor_expired");
    const fresh = await as(big).get(`/api/sync/changes?since=${floor}&limit=5`);
    expect(fresh.status).toBe(200);
  });

  /**
   * The statements behind the hot routes and the hourly jobs, as the code
   * writes them (workers/data/changes.ts, paginate.ts, studio.ts,
   * middleware/session.ts → continuum_session, jobs/prune.ts). On a small
   * database the planner may rightly prefer a sequential scan, so this asks
   * whether an index path EXISTS: with seq scans disabled, one remains only
   * when no index can serve the statement. `npm run bench -- --scale large`
   * checks the plans the Worker really gets, at size, from auto_explain.
   */
  test("every hot statement has an index path (no sequential scan of a growing table when one is discouraged)", async () => {
    const big = report.big!;
    const cutoff = "now() - interval '30 days'";
    const statements: [string, string, unknown[]][] = [
      [
        "change-feed page",
        `select c.*, sum(coalesce(octet_length(c.data::text), 0)) over (order by c.seq rows between unbounded preceding and current row)
         from change_log c where c.user_id = $1 and c.seq > $2 order by c.seq limit 101`,
        [big.id, 10],
      ],
      [
        "session check",
        `select x.id, u.change_seq from sessions x join users u on u.id = x.user_id
         where x.token_hash = $1 and x.expires_at > now() and u.id = $2 limit 1`,
        ["0".repeat(64), big.id],
      ],
      ["idempotency claim", `select * from idempotency_keys where user_id = $1 and key = $2`, [big.id, "k"]],
      [
        "inbox page",
        `select i.*, count(*) over () from inbox_items i where i.user_id = $1 order by i.created_at desc, i.id desc limit 50`,
        [big.id],
      ],
      [
        "studio feed new",
        `select * from loops where visibility = 'public' and (created_at, id) < (now(), $1::uuid)
         order by created_at desc, id desc limit 21`,
        [big.id],
      ],
      [
        "studio feed top",
        `select * from loops where visibility = 'public' and (hot_score, id) < (1e9::float8, $1::uuid)
         order by hot_score desc, id desc limit 21`,
        [big.id],
      ],
      ["wallet", `select * from user_wallet where user_id = $1`, [big.id]],
      [
        "compaction: superseded entries",
        `select c.user_id, c.seq from change_log c where c.created_at < ${cutoff}
           and exists (select 1 from change_log n where n.user_id = c.user_id and n.entity = c.entity
                       and n.record_id = c.record_id and n.seq > c.seq) limit 1000`,
        [],
      ],
      [
        "compaction window (a): entries crossing the cutoff",
        `select c.user_id, c.seq from change_log c
         where c.created_at >= ${cutoff} - interval '2 hours' and c.created_at < ${cutoff}
           and (c.created_at, c.user_id, c.seq) > (${cutoff} - interval '2 hours', $1::uuid, 0::bigint)
         order by c.created_at, c.user_id, c.seq limit 1000`,
        [big.id],
      ],
      [
        "compaction window (b): predecessors of new entries",
        `select d.user_id, d.seq from change_log d
         join (select c.user_id, c.seq, c.entity, c.record_id from change_log c
               where c.created_at >= now() - interval '2 hours' order by c.created_at, c.user_id, c.seq limit 1000) w
           on d.user_id = w.user_id and d.entity = w.entity and d.record_id = w.record_id
         where d.seq < w.seq and d.created_at < ${cutoff}`,
        [],
      ],
      [
        "tombstone prune",
        `select user_id, seq from change_log where op = 'delete' and created_at < ${cutoff} order by created_at limit 1000`,
        [],
      ],
      // The market statements the bench found sequential scans in at the small profile (tiny tables then).
      [
        "recommendations: own purchases",
        `select distinct p.item_id from user_market_purchases p where p.user_id = $1 and p.refunded_at is null`,
        [big.id],
      ],
      [
        "recommendations: candidates",
        `select i.* from market_items i where ((i.user_id is null and i.active) or (i.user_id = $1 and i.active))`,
        [big.id],
      ],
      // The bodies of continuum_market_co_buyers / _buyers (0038; EXPLAIN of a SECURITY DEFINER call shows only a Function Scan).
      [
        "co-buyers (sampled)",
        `select b.item_id, count(distinct b.user_id) from unnest(array[$1::uuid]) owned(item_id)
         cross join lateral (select x.user_id, x.item_id from user_market_purchases x
           where x.item_id = owned.item_id and x.refunded_at is null and x.user_id <> $2
           order by x.created_at desc nulls last limit 100) a
         join user_market_purchases b on b.user_id = a.user_id and b.item_id <> a.item_id and b.refunded_at is null
         group by b.item_id`,
        [CATALOG_ITEM, big.id],
      ],
      [
        "buyers (sampled)",
        `select count(distinct r.user_id) from (select p.user_id from user_market_purchases p
           where p.item_id = $1 and p.refunded_at is null order by p.created_at desc nulls last limit 200) r`,
        [CATALOG_ITEM],
      ],
      [
        "purchase: item lookup",
        `select * from market_items i where i.id = $1 and ((i.user_id is null and i.active) or i.user_id = $2)`,
        [CATALOG_ITEM, big.id],
      ],
      [
        "purchase: foreign key check",
        `select 1 from only market_items x where id = $1 for key share of x`,
        [CATALOG_ITEM],
      ],
      [
        "achievement grant: not yet earned",
        `select not exists (select 1 from user_rewards x where x.user_id = $1 and x.achievement = 'first_focus')`,
        [big.id],
      ],
      ["session expiry", `select id from sessions where expires_at < now() limit 1000`, []],
      [
        "idempotency expiry",
        `select user_id, key from idempotency_keys where created_at < now() - interval '24 hours' limit 1000`,
        [],
      ],
    ];
    const found: string[] = [];
    for (const [name, text, params] of statements) {
      await client.query("begin");
      try {
        await client.query("set local enable_seqscan = off");
        // A sample must be able to come in index order: discourage sorting, so a plan that sorts every
        // purchase of the item loses to the index that delivers the newest first (what 0038 fixed).
        if (name.endsWith("(sampled)")) await client.query("set local enable_sort = off");
        const [row] = await q(`explain (format json) ${text}`, params);
        const plan = (row["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan;
        for (const s of growingSeqScans([{ query: name, plan }])) found.push(`${name}: ${s.tables.join(", ")}`);
        // Not vacuous: each statement reads a table, so its plan must hold an index path.
        if (!hasIndexPath(plan)) found.push(`${name}: no index path in ${JSON.stringify(plan).slice(0, 200)}`);
        // The samples must come in index order (a sort over every purchase of the item is what 0038 fixed).
        if (name.endsWith("(sampled)") && !JSON.stringify(plan).includes("user_market_purchases_item_recent_idx"))
          found.push(`${name}: the sample does not read user_market_purchases_item_recent_idx`);
      } finally {
        await client.query("rollback");
      }
    }
    expect(found).toEqual([]);
  });
});
