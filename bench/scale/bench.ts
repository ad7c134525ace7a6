/**
 * `npm run bench -- --scale <profile>`: the server's cost as the data grows
 * (issue #22), in ONE run on one stack —
 *
 *  1. the hot routes' p50 on a nearly empty database (16 bench users);
 *  2. the generator fills the profile (bench/scale/generate.ts), timed, with
 *     the row counts and disk it takes;
 *  3. the same routes for the same users on the full database (ratio to 1),
 *     and for the big account;
 *  4. the plans of every statement those routes run, from auto_explain in the
 *     Worker's own sessions: a sequential scan of a growing table fails the run;
 *  5. the hourly jobs at that size (bench/scale/jobs.ts);
 *  6. SPEC §4's reset path for the big account: a cursor older than the
 *     retention → 410, then a pull of everything from the start (the server
 *     half of a device back after 30 days).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import pg from "pg";
import { log } from "../config.ts";
import { load, makeAgent, send, seedUsers, summarize, type Req, type Summary, type TestUser } from "../lib.ts";
import type { LocalDatabase } from "../../scripts/local-db.ts";
import { ROOT, startStack, type Stack } from "../stack.ts";
import { bulkLoadSettings, fillScale, type FillReport } from "./generate.ts";
import { runJobs, type JobRun } from "./jobs.ts";
import { classifySeqScans, parsePlans, relationSizes, SMALL_TABLE_PAGES, unboundedIndexScans } from "./plans.ts";
import { profileNamed } from "./profiles.ts";
import { tableSizes, type TableSize } from "./sizes.ts";

export interface RouteCell {
  route: string;
  empty: Summary;
  large: Summary;
  big?: Summary;
}

export interface ScaleRun {
  profile: string;
  fill: FillReport;
  sizes: TableSize[];
  databaseBytes: number;
  routes: RouteCell[];
  plans: {
    statements: number;
    seqScans: { query: string; tables: string[] }[];
    /** Seq scans of growing tables still under SMALL_TABLE_PAGES at this profile: "table (pages, rows)". */
    smallSeqScans: { query: string; tables: string[] }[];
    unboundedIndexScans: { query: string; tables: string[] }[];
  };
  jobs: JobRun[];
  reset: {
    status410: number;
    pages: number;
    changes: number;
    bytes: number;
    ms: number;
    cursor: string;
    /** With the walk token (README "Sync"); `oldClientStatus`: the second page asked without it. */
    fromStart: { pages: number; status: number; changes: number; ms: number; oldClientStatus: number };
  };
  load: { start: number[]; end: number[] };
}

const SAMPLE_MS = 4500;
const ROUNDS = 3;

type Who = { user: TestUser; cursor: string };

/** The hot routes (issue #22 item 2), each as a request for one user. */
function hotRoutes(): Record<string, (w: Who, i: number) => Req> {
  const auth = (w: Who) => ({ authorization: `Bearer ${w.user.token}` });
  return {
    "authenticated read (GET /api/user/inbox)": (w) => ({ method: "GET", path: "/api/user/inbox", headers: auth(w) }),
    "keyed write (POST /api/user/inbox)": (w, i) => ({
      method: "POST",
      path: "/api/user/inbox",
      headers: { ...auth(w), "idempotency-key": randomUUID() },
      body: { id: randomUUID(), title: `scale bench ${i}` },
    }),
    "idle poll → 304": (w) => ({
      method: "GET",
      path: `/api/sync/changes?since=${w.cursor}`,
      headers: { ...auth(w), "if-none-match": `"${w.cursor}"` },
    }),
    "change-feed page (100 from the start)": (w) => ({
      method: "GET",
      path: `/api/sync/changes?limit=100`,
      headers: auth(w),
    }),
    "studio feed new": (w) => ({ method: "GET", path: "/api/studio/feed?sort=new&limit=20", headers: auth(w) }),
    "studio feed top": (w) => ({ method: "GET", path: "/api/studio/feed?sort=top&limit=20", headers: auth(w) }),
    recommendations: (w) => ({ method: "GET", path: "/api/market/recommendations", headers: auth(w) }),
    "purchase (POST /api/market/purchases)": (w) => ({
      method: "POST",
      path: "/api/market/purchases",
      headers: { ...auth(w), "idempotency-key": randomUUID() },
      body: { item_id: "00000000-0000-4000-8000-00000000c002", id: randomUUID() },
    }),
  };
}

/**
 * The user's current cursor, as a client gets it: the head of GET
 * /api/sync/snapshot (one request). Paging /changes from the start is not a
 * way to it once compaction has raised the user's floor above the first
 * page's cursor: the second page answers 410 (resetPath records that).
 */
async function cursorOf(stack: Stack, user: TestUser): Promise<string> {
  const agent = makeAgent(1);
  const res = await send(stack.baseUrl, agent, {
    method: "GET",
    path: `/api/sync/snapshot?limit=1`,
    headers: { authorization: `Bearer ${user.token}` },
  });
  agent.destroy();
  // A cursor read that fails must say so, not hand "undefined" to the poll cell.
  if (res.status !== 200) throw new Error(`cursor read: ${res.status} ${res.text.slice(0, 300)}`);
  return String(res.json().cursor);
}

/** Writes the big account can't make: it holds more inbox items than the quota (413) and a small wallet. */
const WRITES = new Set(["keyed write (POST /api/user/inbox)", "purchase (POST /api/market/purchases)"]);

/** One side of the comparison: a stack and the users measured on it. */
interface Side {
  stack: Stack;
  who: Who[];
  readsOnly?: boolean;
}

/**
 * p50 per route at c = 1, the sides interleaved: ROUNDS passes of (route ×
 * side), SAMPLE_MS ÷ ROUNDS each after a short unrecorded warm-up, so load
 * from the rest of the machine falls on both sides alike.
 */
async function measureInterleaved(sides: Side[]): Promise<Record<string, Summary>[]> {
  const acc = sides.map(() => new Map<string, number[]>());
  for (let round = 0; round < ROUNDS; round++) {
    for (const [route, make] of Object.entries(hotRoutes())) {
      for (const [k, side] of sides.entries()) {
        if (side.readsOnly && WRITES.has(route)) continue;
        // Cursors move with each keyed write: the poll reads them first.
        if (route.startsWith("idle poll")) for (const w of side.who) w.cursor = await cursorOf(side.stack, w.user);
        const r = await load({
          baseUrl: side.stack.baseUrl,
          conc: 1,
          warmupMs: 200,
          durationMs: SAMPLE_MS / ROUNDS,
          make: (_s, i) => make(side.who[i % side.who.length]!, i),
        });
        const bad = Object.keys(r.statuses).filter((x) => Number(x) >= 400);
        if (bad.length) throw new Error(`${route}: statuses ${JSON.stringify(r.statuses)}`);
        acc[k]!.set(route, [...(acc[k]!.get(route) ?? []), ...r.latencies]);
      }
    }
    log(`  round ${round + 1}/${ROUNDS}`);
  }
  return acc.map((m) => Object.fromEntries([...m].map(([route, lat]) => [route, summarize(lat)])));
}

/** Turns auto_explain on for every session (a reload reaches the open ones too), or off. */
async function explainAll(client: pg.Client, on: boolean): Promise<void> {
  await client.query(`alter system set auto_explain.log_min_duration = ${on ? 0 : -1}`);
  // With actual rows and times: the captured plans are kept in .data/scale-plans.json for diagnosis.
  await client.query(`alter system set auto_explain.log_analyze = ${on ? "on" : "off"}`);
  await client.query("select pg_reload_conf()");
  await new Promise((r) => setTimeout(r, 500));
}

/**
 * SPEC §4 reset for the big account: an expired cursor → 410, then the
 * recovery today's web client runs (web/src/sync: the /snapshot walk, newest
 * first, then /changes from its head); and whether a pull of /changes from
 * the start pages through with the walk token (`fromStart`: pages, entries,
 * time, the status that stopped it if any), and what a client without the
 * token gets for its second page (410 once the floor is above the first).
 */
async function resetPath(stack: Stack, big: TestUser): Promise<ScaleRun["reset"]> {
  const agent = makeAgent(1);
  const auth = { authorization: `Bearer ${big.token}` };
  const get = (p: string) => send(stack.baseUrl, agent, { method: "GET", path: p, headers: auth }, 120_000);
  const old = await get("/api/sync/changes?since=1");
  const t0 = performance.now();
  let before = "";
  let pages = 0;
  let changes = 0;
  let bytes = 0;
  let head = "";
  for (;;) {
    const res = await get(`/api/sync/snapshot?limit=5000${before ? `&before=${before}` : ""}`);
    if (res.status !== 200) throw new Error(`snapshot walk: ${res.status} ${res.text.slice(0, 300)}`);
    const body = res.json();
    pages++;
    changes += body.changes.length;
    bytes += Buffer.byteLength(res.text);
    if (!head) head = body.cursor;
    if (body.next === null) break;
    before = body.next;
  }
  const tail = await get(`/api/sync/changes?since=${head}`);
  if (tail.status !== 200) throw new Error(`changes after the snapshot: ${tail.status} ${tail.text.slice(0, 300)}`);
  const ms = performance.now() - t0;
  let since = "";
  let walk = "";
  let fromStartPages = 0;
  let fromStartStatus = 200;
  let fromStartChanges = 0;
  let oldClientStatus = 0;
  const f0 = performance.now();
  for (;;) {
    const res = await get(
      `/api/sync/changes?limit=1000${since ? `&since=${since}` : ""}${walk ? `&walk=${walk}` : ""}`,
    );
    if (res.status !== 200) {
      fromStartStatus = res.status;
      break;
    }
    fromStartPages++;
    const body = res.json();
    fromStartChanges += body.changes.length;
    // A client from before the walk token asks the second page with the cursor alone.
    if (fromStartPages === 1 && body.has_more)
      oldClientStatus = (await get(`/api/sync/changes?limit=1000&since=${body.cursor}`)).status;
    since = body.cursor;
    walk = body.walk ?? "";
    if (!body.has_more) break;
  }
  const fromStartMs = performance.now() - f0;
  agent.destroy();
  return {
    status410: old.status,
    pages,
    changes,
    bytes,
    ms,
    cursor: head,
    fromStart: {
      pages: fromStartPages,
      status: fromStartStatus,
      changes: fromStartChanges,
      ms: fromStartMs,
      oldClientStatus,
    },
  };
}

/** Loads auto_explain into every session of the database (off until explainAll turns it on). */
async function prepareDatabase(db: LocalDatabase): Promise<void> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query("load 'auto_explain'");
    for (const set of [
      "session_preload_libraries = 'auto_explain'",
      "auto_explain.log_min_duration = -1",
      "auto_explain.log_format = 'json'",
      "auto_explain.log_nested_statements = on",
      // The fill writes GBs: fewer forced checkpoints (the jobs' WAL is measured after an explicit one).
      "max_wal_size = '8GB'",
    ])
      await c.query(`alter system set ${set}`);
    await c.query("select pg_reload_conf()");
  } finally {
    await c.end();
  }
}

/** 16 bench users with 50 inbox items each (the same shape on both sides). */
async function benchUsers(stack: Stack, owner: pg.Client): Promise<Who[]> {
  const users = await seedUsers(stack.db.url, stack.db.directWsProxy, 16, "scalebench");
  await owner.query(
    `insert into inbox_items (id, user_id, title, description, tags)
     select gen_random_uuid(), u.id, 'seeded item ' || g, 'seeded by the bench', '{seed}'
     from users u, generate_series(1, 50) g where u.username like 'scalebench\\_%'`,
  );
  const who = users.map((user) => ({ user, cursor: "" }));
  for (const w of who) w.cursor = await cursorOf(stack, w.user);
  return who;
}

/**
 * Two stacks side by side (each its own Postgres and workerd, same bundle and
 * settings): one stays nearly empty, the other gets the profile. The routes
 * are measured on both, interleaved, in the same run.
 */
export async function scaleBench(profileName: string, bundleDir: string): Promise<ScaleRun> {
  const profile = profileNamed(profileName);
  const loadStart = loadavg();
  let capturing = false;
  let serverLog = "";
  const emptyStack = await startStack({ bundleDir, log, onDatabase: prepareDatabase });
  let stack: Stack | undefined;
  const owners: pg.Client[] = [];
  try {
    stack = await startStack({
      bundleDir,
      log,
      onServerLog: (chunk) => {
        if (capturing) serverLog += chunk;
      },
      onDatabase: prepareDatabase,
    });
    const [emptyOwner, owner] = [emptyStack, stack].map((st) => new pg.Client({ connectionString: st.db.url }));
    owners.push(emptyOwner!, owner!);
    for (const o of owners) o.on("error", () => {}); // a stack stopping under an open client
    await Promise.all(owners.map((o) => o.connect()));
    const emptyWho = await benchUsers(emptyStack, emptyOwner!);
    const who = await benchUsers(stack, owner!);

    log(`filling profile ${profile.name} (${profile.users} users + the big account)`);
    // A database of its own: fsync and full-page writes are off for the load only (bulkLoadSettings).
    await bulkLoadSettings(owner as never, true);
    const fill = await fillScale(owner as never, profile, {
      log: (m) => log(`  ${m}`),
      connect: async () => {
        const c = new pg.Client({ connectionString: stack!.db.url });
        c.on("error", () => {});
        await c.connect();
        return c as never;
      },
    });
    await bulkLoadSettings(owner as never, false);
    log(`filled in ${(fill.ms / 1000).toFixed(0)} s`);
    const sizes = await tableSizes(owner as never);
    const databaseBytes = Number(
      (await owner!.query("select pg_database_size(current_database())::float8 as b")).rows[0].b,
    );
    await owner!.query("checkpoint");
    // The fill left autovacuum work behind: let it finish before timing (production has it done long since).
    await owner!.query("vacuum");

    const bigUser: TestUser = { id: fill.big!.id, username: fill.big!.username, token: fill.big!.token };
    const bigWho = [{ user: bigUser, cursor: await cursorOf(stack, bigUser) }];
    log("hot routes: empty vs full database (same bench users), interleaved; and the big account");
    const [empty, large, big] = await measureInterleaved([
      { stack: emptyStack, who: emptyWho },
      { stack, who },
      { stack, who: bigWho, readsOnly: true },
    ]);
    await emptyOwner!.end();
    await emptyStack.stop();

    log("plans: auto_explain on while each route runs twice for a bench user and the big account");
    await explainAll(owner!, true);
    capturing = true;
    const agent = makeAgent(1);
    for (const w of [who[0]!, { user: bigUser, cursor: await cursorOf(stack, bigUser) }])
      for (const [route, make] of Object.entries(hotRoutes()))
        if (w.user !== bigUser || !WRITES.has(route))
          for (let i = 0; i < 2; i++) await send(stack.baseUrl, agent, make(w, i));
    agent.destroy();
    await new Promise((r) => setTimeout(r, 500));
    capturing = false;
    await explainAll(owner!, false);
    const captured = parsePlans(serverLog);
    mkdirSync(path.join(ROOT, ".data"), { recursive: true });
    writeFileSync(path.join(ROOT, ".data/scale-plans.json"), JSON.stringify(captured, null, 1));
    const relSizes = await relationSizes(owner!);
    const { failing: seqScans, small } = classifySeqScans(captured, relSizes);
    const sized = (t: string) => {
      const r = relSizes.get(t);
      return r ? `${t} (${r.pages} pages, ${Math.round(r.rows)} rows)` : t;
    };
    const smallSeqScans = small.map((x) => ({ query: x.query, tables: x.tables.map(sized) }));
    log(`plans: ${captured.length} statements, ${seqScans.length} with a sequential scan of a growing table`);
    for (const x of seqScans) log(`  SEQ SCAN of ${x.tables.map(sized).join(", ")}: ${x.query.slice(0, 300)}`);
    for (const x of smallSeqScans)
      log(`  (small table, < ${SMALL_TABLE_PAGES} pages) ${x.tables.join(", ")}: ${x.query.slice(0, 120)}`);

    log("item 6: a cursor older than the retention, then the reset pull of the big account");
    const reset = await resetPath(stack, bigUser);
    log(
      `  since=1 → ${reset.status410}; reset pull ${reset.changes} changes in ${reset.pages} pages, ${(reset.bytes / 1048576).toFixed(1)} MB, ${(reset.ms / 1000).toFixed(1)} s`,
    );

    log("hourly jobs at size");
    const jobs = await runJobs(
      stack,
      who.map((w) => w.user),
      log,
    );

    const routes: RouteCell[] = Object.keys(empty!).map((route) => ({
      route,
      empty: empty![route]!,
      large: large![route]!,
      big: big![route],
    }));
    return {
      profile: profile.name,
      fill,
      sizes,
      databaseBytes,
      routes,
      plans: {
        statements: captured.length,
        seqScans: seqScans.map((x) => ({ query: x.query, tables: x.tables.map(sized) })),
        smallSeqScans,
        unboundedIndexScans: unboundedIndexScans(captured),
      },
      jobs,
      reset,
      load: { start: loadStart, end: loadavg() },
    };
  } finally {
    await Promise.all(owners.map((o) => o.end().catch(() => {})));
    await emptyStack.stop();
    await stack?.stop();
  }
}
