/**
 * The data generator (issue #22): fills a migrated Continuum database with
 * plain SQL (INSERT … SELECT over generate_series, never the API) — many
 * users with a long tail of sizes (bench/scale/profiles.ts), their ledgers,
 * sessions, idempotency keys, studio loops, likes and plays, and a change log
 * consistent with the records (bench/scale/log.ts) — plus one big account
 * with a known login.
 *
 *   fillScale(client, profileNamed("small"))   // many users + the big account
 *   fillBigAccount(client, { username, password }) // just the big account
 *
 * `client` is ONE connection as the tables' owner (locally the superuser
 * `postgres`: row-level security is bypassed, every CHECK, FK, UNIQUE and
 * trigger still applies): a `pg` Client, or a client checked out of the Neon
 * driver's Pool (`await pool.connect()`), in Node or in workerd. The plan
 * lives in a temp table of that session.
 *
 * Commands: `node bench/scale/fill.ts --profile small --url <owner url>`,
 * `npm run bench -- --scale <profile>` (fills its own throw-away database).
 */
import { hashPassword, sha256Hex } from "../../workers/lib/crypto.ts";
import { changeLogSql, likesAndPlaysSql, PUBLIC_LOOPS_SQL } from "./log.ts";
import { BIG_ACCOUNT, type AccountSizes, type ScaleProfile } from "./profiles.ts";
import { RECORD_STEPS } from "./records.ts";

/** What the generator needs of a database client (pg's Client and the Neon driver's PoolClient both fit). */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount?: number | null }>;
}

export interface BigAccount {
  id: string;
  username: string;
  email: string;
  password: string;
  /** A bearer token of a device session (`Authorization: Bearer …`), valid 30 days. */
  token: string;
  /** users.change_seq: the cursor a client that pulled everything holds. */
  cursor: number;
}

export interface FillReport {
  profile: string;
  users: number;
  ms: number;
  /** Step → ms, in order. */
  steps: Record<string, number>;
  big: BigAccount | null;
}

export const DEFAULT_BIG_PASSWORD = "big-account-password";

type Log = (message: string) => void;

const PLAN_COLUMNS = `n int primary key, id uuid not null, username text not null, password_hash text not null,
  born timestamptz not null, inbox int not null, todos int not null, refs int not null, ref_bytes int not null,
  loops int not null, libs int not null, tracks int not null, convs int not null, msgs int not null, txs int not null,
  sess int not null, keys int not null, likes int not null, plays int not null, ghosts int not null,
  edits_mean float8 not null, public_share float8 not null, rewards int not null`;

/** An ordinary user's count for `rate` per unit of weight: stochastic rounding of rate × w. */
const scaled = (rate: number) => `floor(${Number(rate)} * w + random())::int`;

/**
 * The plan: a temp table of the session, or (`shared`, a database of its own
 * only) an unlogged table every connection of a parallel fill reads.
 */
async function resetPlan(client: SqlClient, shared = false): Promise<void> {
  if (shared) {
    await client.query(`drop table if exists scale_plan`);
    await client.query(`create unlogged table scale_plan (${PLAN_COLUMNS})`);
  } else {
    await client.query(`create temp table if not exists scale_plan (${PLAN_COLUMNS})`);
    await client.query(`truncate scale_plan`);
  }
}

async function planOrdinary(client: SqlClient, p: ScaleProfile, tag: string, at: string): Promise<void> {
  const r = p.rate;
  await client.query(`
    insert into scale_plan
    select g, gen_random_uuid(), '${tag}_' || g, 'pbkdf2-sha256$1$00$00',
      '${at}'::timestamptz - (interval '1 day' + random() * interval '364 days'),
      ${scaled(r.inbox)}, ${scaled(r.todos)}, ${scaled(r.references)}, ${Number(r.refBytes)}, ${scaled(r.loops)},
      ${scaled(r.libraries)}, ${Number(r.tracksPerLibrary)}, ${scaled(r.conversations)}, ${Number(r.messagesPerConversation)},
      ${scaled(r.transactions)}, least(5, 1 + ${scaled(r.sessions)}), ${scaled(r.keys)}, ${scaled(r.likes)},
      ${scaled(r.plays)}, ${scaled(r.ghosts)}, ${Number(r.editsMean)}, ${Number(p.publicShare)}, ${scaled(r.rewards)}
    from (select g, least(${Number(p.cap)}, power(1 - random(), -0.7)) as w from generate_series(1, ${p.users}) g) s`);
}

async function planBig(
  client: SqlClient,
  s: AccountSizes,
  who: { id: string; username: string; passwordHash: string },
  publicShare: number,
  at: string,
): Promise<void> {
  const n = (x: number) => Math.max(0, Math.round(Number(x)));
  await client.query(
    `insert into scale_plan values (0, $1, $2, $3, $4::timestamptz - interval '3 years',
      ${n(s.inbox)}, ${n(s.todos)}, ${n(s.references)}, ${n(s.refBytes)}, ${n(s.loops)}, ${n(s.libraries)},
      ${n(s.tracksPerLibrary)}, ${n(s.conversations)}, ${n(s.messagesPerConversation)}, ${n(s.transactions)},
      ${n(s.sessions)}, ${n(s.keys)}, ${n(s.likes)}, ${n(s.plays)}, ${n(s.ghosts)}, ${Number(s.editsMean)}, ${Number(publicShare)}, ${n(s.rewards)})`,
    [who.id, who.username, who.passwordHash, at],
  );
}

/**
 * One statement in its own transaction. With `bypass`, the quota triggers of
 * the tables it writes are off inside that transaction only (ALTER TABLE is
 * transactional: no other session ever sees them off).
 */
async function step(client: SqlClient, text: string, triggers: Record<string, string[]> = {}, bypass = false) {
  const off = bypass ? Object.entries(triggers) : [];
  await client.query("begin");
  try {
    for (const [table, names] of off)
      for (const t of names) await client.query(`alter table ${table} disable trigger ${t}`);
    const res = await client.query(text);
    for (const [table, names] of off)
      for (const t of names) await client.query(`alter table ${table} enable trigger ${t}`);
    await client.query("commit");
    return res.rowCount ?? 0;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}

/** Runs `work` on every range, each client taking the next range when it is free. */
async function overRanges(
  clients: SqlClient[],
  ranges: [number, number][],
  work: (c: SqlClient, range: [number, number]) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (next < ranges.length) await work(c, ranges[next++]!);
    }),
  );
}

async function runSteps(
  clients: SqlClient[],
  ranges: [number, number][],
  opts: { at: string; bypass: boolean; log: Log; steps: Record<string, number>; rebuild?: string[] },
): Promise<void> {
  const client = clients[0]!;
  // Per step: the summed time of its statements (with parallel clients, more than the wall time).
  const timed = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    opts.steps[name] = (opts.steps[name] ?? 0) + (performance.now() - t0);
  };
  const wall = async (name: string, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    opts.steps[`${name} (wall)`] = performance.now() - t0;
  };
  await wall("records", () =>
    overRanges(clients, ranges, async (c, [lo, hi]) => {
      for (const s of RECORD_STEPS)
        await timed(s.table, () => step(c, s.sql(lo, hi, opts.at), s.quotaTriggers, opts.bypass));
      opts.log(`records: users ${lo}..${hi}`);
    }),
  );
  await timed("likes+plays", async () => {
    for (const q of PUBLIC_LOOPS_SQL) await client.query(q);
    const n = Number((await client.query(`select count(*)::int as n from scale_pub`)).rows[0].n);
    for (const q of likesAndPlaysSql(opts.at, n)) await step(client, q);
  });
  opts.log("likes and plays");
  await wall("change_log", () =>
    overRanges(clients, ranges, async (c, [lo, hi]) => {
      await timed("change_log", async () => {
        for (const q of changeLogSql(lo, hi, opts.at)) await step(c, q);
      });
      opts.log(`change log: users ${lo}..${hi}`);
    }),
  );
  if (opts.rebuild?.length)
    await timed("indexes", async () => {
      await client.query("set maintenance_work_mem = '1GB'");
      for (const q of opts.rebuild!) await client.query(q);
      opts.log("indexes rebuilt");
    });
  await timed("analyze", () => client.query("analyze"));
}

async function session(client: SqlClient, userId: string): Promise<string> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = `${userId}.${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
  await client.query(
    `insert into sessions (user_id, token_hash, user_agent, expires_at) values ($1, $2, 'scale-generator', now() + interval '30 days')`,
    [userId, await sha256Hex(token)],
  );
  return token;
}

async function bigLogin(client: SqlClient, username: string, password: string): Promise<BigAccount> {
  const { rows } = await client.query(`select id, email, username, change_seq from users where username = $1`, [
    username,
  ]);
  const u = rows[0];
  return {
    id: String(u.id),
    username,
    email: String(u.email),
    password,
    token: await session(client, String(u.id)),
    cursor: Number(u.change_seq),
  };
}

/** Tables whose indexes a `rebuildIndexes` fill drops first and builds after. */
const REBUILT = ["change_log", "inbox_items", "reference_items", "todos", "idempotency_keys"];

/**
 * Drops the tables' indexes that no constraint owns, and the change log's
 * primary key (nothing refers to it); returns the statements that rebuild them.
 */
async function dropIndexes(client: SqlClient): Promise<string[]> {
  const { rows } = await client.query(
    `select i.indexname, i.indexdef from pg_indexes i
     where i.schemaname = 'public' and i.tablename = any($1)
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    [REBUILT],
  );
  const rebuild = (rows as { indexname: string; indexdef: string }[]).map((r) => r.indexdef);
  for (const r of rows as { indexname: string }[]) await client.query(`drop index "${r.indexname}"`);
  await client.query(`alter table change_log drop constraint change_log_user_id_seq_pk`);
  return [`alter table change_log add constraint change_log_user_id_seq_pk primary key (user_id, seq)`, ...rebuild];
}

/** Every quota trigger the record steps name, on or off for the whole fill (a database of its own only). */
async function quotaTriggers(client: SqlClient, on: boolean): Promise<void> {
  for (const s of RECORD_STEPS)
    for (const [table, names] of Object.entries(s.quotaTriggers))
      for (const t of names) await client.query(`alter table ${table} ${on ? "enable" : "disable"} trigger ${t}`);
}

const ranges = (first: number, last: number, size: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let lo = first; lo <= last; lo += size) out.push([lo, Math.min(last, lo + size - 1)]);
  return out;
};

const randomTag = () => `s${Math.random().toString(36).slice(2, 8)}`;

async function prepare(client: SqlClient): Promise<string> {
  // The fill's own commits need not wait for the disk (a crash mid-fill just means filling again).
  await client.query("set synchronous_commit = off");
  await client.query("set work_mem = '256MB'");
  return String((await client.query("select now()::text as at")).rows[0].at);
}

/**
 * Server settings for a bulk load into a database of its own (the bench's,
 * or fill.ts's throw-away one): no fsync and no full-page images while the
 * fill runs, restored (and a checkpoint taken) before anything is measured.
 * A crash mid-fill would corrupt the cluster — acceptable for a throw-away
 * database, never for one that holds anything else. Needs a superuser.
 */
export async function bulkLoadSettings(client: SqlClient, on: boolean): Promise<void> {
  for (const [name, value] of [
    ["fsync", on ? "off" : "on"],
    ["full_page_writes", on ? "off" : "on"],
  ])
    await client.query(`alter system set ${name} = ${value}`);
  await client.query("select pg_reload_conf()");
  if (!on) await client.query("checkpoint");
}

/** Many users (the profile) plus its big account; returns timings and the big account's login. */
export async function fillScale(
  client: SqlClient,
  profile: ScaleProfile,
  opts: {
    log?: Log;
    tag?: string;
    bigUsername?: string;
    bigPassword?: string;
    /**
     * More connections for a `rebuildIndexes` (own database) profile: batches
     * of users go to whichever is free (profile.parallel in all).
     */
    connect?: () => Promise<SqlClient & { end(): Promise<void> }>;
  } = {},
): Promise<FillReport> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const at = await prepare(client);
  const tag = opts.tag ?? randomTag();
  const own = profile.rebuildIndexes;
  await resetPlan(client, own);
  await planOrdinary(client, profile, tag, at);
  // Row counts for the planner: the per-batch joins then walk the records by their keys, not by scanning.
  await client.query("analyze scale_plan");
  const password = opts.bigPassword ?? DEFAULT_BIG_PASSWORD;
  const bigName = opts.bigUsername ?? `${tag}_big`;
  if (profile.big)
    await planBig(
      client,
      profile.big,
      { id: crypto.randomUUID(), username: bigName, passwordHash: await hashPassword(password) },
      profile.publicShare,
      at,
    );
  const steps: Record<string, number> = {};
  const rebuild = own ? await dropIndexes(client) : [];
  // A database of its own: the quota triggers are off for the whole fill (no per-step table lock to contend on).
  if (own && profile.bypassQuotas) await quotaTriggers(client, false);
  const extra: (SqlClient & { end(): Promise<void> })[] = [];
  try {
    if (own && opts.connect)
      for (let i = 1; i < profile.parallel; i++) {
        const c = await opts.connect();
        extra.push(c);
        await prepare(c);
      }
    await runSteps([client, ...extra], ranges(profile.big ? 0 : 1, profile.users, profile.batch), {
      at,
      bypass: profile.bypassQuotas && !own,
      log,
      steps,
      rebuild,
    });
  } finally {
    await Promise.all(extra.map((c) => c.end().catch(() => {})));
  }
  if (own && profile.bypassQuotas) await quotaTriggers(client, true);
  if (own) await client.query(`drop table scale_plan`);
  const big = profile.big ? await bigLogin(client, bigName, password) : null;
  return {
    profile: profile.name,
    users: profile.users + (profile.big ? 1 : 0),
    ms: performance.now() - t0,
    steps,
    big,
  };
}

/**
 * One big account (default: the sizes, BIG_ACCOUNT) with a known
 * login. Sizes above today's quotas (50 000 inbox items, 2 000 loops) are
 * written with the quota triggers off inside the insert's own transaction.
 */
export async function fillBigAccount(
  client: SqlClient,
  opts: { sizes?: Partial<AccountSizes>; username?: string; password?: string; log?: Log } = {},
): Promise<BigAccount & { ms: number }> {
  const t0 = performance.now();
  const at = await prepare(client);
  const username = opts.username ?? `${randomTag()}_big`;
  const password = opts.password ?? DEFAULT_BIG_PASSWORD;
  const sizes = { ...BIG_ACCOUNT, ...opts.sizes };
  await resetPlan(client);
  await planBig(
    client,
    sizes,
    { id: crypto.randomUUID(), username, passwordHash: await hashPassword(password) },
    0.4,
    at,
  );
  // Always a bulk load without the quota triggers: each counts the user's rows, so
  // tens of thousands of rows through them would be quadratic (and a size over a quota refused).
  await runSteps([client], [[0, 0]], { at, bypass: true, log: opts.log ?? (() => {}), steps: {} });
  return { ...(await bigLogin(client, username, password)), ms: performance.now() - t0 };
}
