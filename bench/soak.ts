/**
 * `npm run soak -- --seconds N`: a bounded convergence soak against the real
 * local stack (bench/stack.ts: wrangler dev + embedded Postgres + relay).
 *
 * Several users × several devices drive the API through a faithful protocol
 * client (SPEC §3/§4): client-generated ids, one Idempotency-Key per mutation,
 * If-Match versions, an outbox replayed in order, a WebSocket for the fast
 * path and pull-by-cursor as the truth (some devices poll instead, like
 * phones). Faults: random socket drops, offline periods with queued
 * mutations, lost responses (retried with the same key), deliberate duplicate
 * retries (sequential and concurrent), and a Postgres restart mid-run (the
 * API answers 503 meanwhile; clients back off and retry).
 *
 * At the end every outbox is drained and the run asserts:
 *   - every device's view (built only from socket messages and the change
 *     feed) equals the server's state (GET lists);
 *   - the change feed folded from the start equals the server's state;
 *   - every acknowledged write is in the change feed at the cursor it was
 *     acknowledged with (no lost acknowledged write);
 *   - idempotent replays are exact and a key never runs twice; no record is
 *     created twice by retries;
 *   - no device ever saw another user's record; another user's ids are 404;
 *   - no 500s.
 * It prints the counts and exits non-zero on any violation.
 */
import { randomUUID } from "node:crypto";
import { configureNodeDriver, makeAgent, nodePool, seedUsers, signupUser, summarize, type TestUser } from "./lib.ts";
import { randomAction } from "./soak-actions.ts";
import { Device } from "./soak-client.ts";
import { comparable, ledgerViolations, marketServerState, SERVER_CREATED, UNLISTED } from "./soak-market.ts";
import {
  acks,
  between,
  canon,
  counts,
  DEVICES,
  DOWN_MS,
  DRAIN_MS,
  log,
  phase,
  RESTARTS,
  SECONDS,
  SEED,
  settleTimes,
  t0,
  USERS,
  violate,
  violations,
  WORKER_LOG,
  report500s,
  world,
  type Change,
  type UserCtx,
  type Wire,
} from "./soak-world.ts";
import { sleep, startStack } from "./stack.ts";
import { checkStorm, startStorm } from "./soak-storm.ts";
import { checkStudio, startStudio } from "./soak-studio.ts";

// ---- the run -----------------------------------------------------------------------------
async function serverState(u: UserCtx<Device>): Promise<Map<string, Wire> | null> {
  const d = u.devices[0]!;
  const state = new Map<string, Wire>();
  // Page by next_cursor: a page may be cut short by bytes (SPEC §3) as well as by rows.
  let cursor: string | null = "";
  for (let pages = 0; cursor !== null && pages < 1000; pages++) {
    const path: string = `/api/user/inbox?page_size=100${cursor ? `&cursor=${cursor}` : ""}`;
    const res = await d.http({ method: "GET", path, headers: d.auth() });
    if (res.status !== 200) return null;
    const body = res.json() as { items: Wire[]; next_cursor: string | null };
    for (const it of body.items) {
      if (state.has(`inbox_item:${it.id}`)) violate(`user ${u.idx}: item ${it.id} listed twice`);
      state.set(`inbox_item:${it.id}`, it);
    }
    cursor = body.next_cursor;
  }
  const s = await d.http({ method: "GET", path: "/api/settings", headers: d.auth() });
  if (s.status !== 200) return null;
  const settings = s.json() as Wire;
  state.set(`settings:${settings.id}`, settings);
  const market = await marketServerState(d);
  if (!market) return null;
  for (const [k, v] of market) state.set(k, v);
  return state;
}

async function fullFeed(u: UserCtx<Device>): Promise<Change[] | null> {
  const d = u.devices[0]!;
  const out: Change[] = [];
  let since = 0;
  for (let i = 0; i < 1000; i++) {
    const res = await d.http({ method: "GET", path: `/api/sync/changes?since=${since}&limit=1000`, headers: d.auth() });
    if (res.status !== 200) return null;
    const body = res.json() as { changes: Change[]; cursor: string; has_more: boolean };
    out.push(...body.changes);
    since = Number(body.cursor);
    if (!body.has_more) return out;
  }
  return out;
}

async function retryUntil<T>(what: string, fn: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`${what}: no answer within ${ms} ms`);
    await sleep(300);
  }
}

async function restartPostgres(): Promise<void> {
  counts.dbRestarts++;
  log(`stopping Postgres (down for ${DOWN_MS} ms)`);
  world.dbDown = true;
  await world.stack.db.stopPostgres();
  await sleep(DOWN_MS);
  await world.stack.db.startPostgres();
  world.dbDown = false;
  // Idempotency claims whose request died with the database: until they go
  // stale, retries of those keys get 409 idempotency_in_progress.
  const pool = nodePool(world.stack.db.url);
  try {
    const r = await pool.query("select count(*)::int as n from idempotency_keys where status is null");
    counts.orphanedClaims += Number(r.rows[0]?.n ?? 0);
  } catch {
    // diagnostics only
  } finally {
    await pool.end().catch(() => {});
  }
  log("Postgres is back");
}

async function main(): Promise<void> {
  log(`seed ${SEED}; ${USERS} users × ${DEVICES} devices; ${SECONDS} s; ${RESTARTS} Postgres restart(s)`);
  world.stack = await startStack({ log, workerLog: WORKER_LOG });
  log(`the Worker's log: ${WORKER_LOG}`);
  configureNodeDriver(world.stack.db.directWsProxy);
  try {
    await run();
  } finally {
    await world.stack.stop();
  }
}

async function run(): Promise<void> {
  // Users: the real signup path (rate limited per IP: 10/min), SQL-seeded beyond that.
  const agent = makeAgent(2);
  const viaApi = Math.min(USERS, 8);
  const tag = SEED.toString(36).slice(0, 6);
  const users: TestUser[] = [];
  for (let i = 0; i < viaApi; i++) users.push(await signupUser(world.stack.baseUrl, agent, `soak_${tag}_${i}`));
  if (USERS > viaApi)
    users.push(...(await seedUsers(world.stack.db.url, world.stack.db.directWsProxy, USERS - viaApi, `soakx_${tag}`)));
  agent.destroy();

  const ctxs: UserCtx<Device>[] = users.map((user, idx) => ({ idx, user, ids: new Set(), devices: [] }));
  for (const u of ctxs) {
    for (let d = 0; d < DEVICES; d++) u.devices.push(new Device(u, d));
    const s = await u.devices[0]!.http({ method: "GET", path: "/api/settings", headers: u.devices[0]!.auth() });
    u.settingsId = (s.json() as Wire).id;
  }
  const devices = ctxs.flatMap((u) => u.devices);
  for (const d of devices) {
    d.connect();
    d.requestPull();
  }

  // Beside the devices: a like/unlike storm on one loop and a race past a quota (bench/soak-storm.ts).
  const storm = await startStorm(tag);
  // And studio and assistant actions (bench/soak-studio.ts), remixing the storm's loop.
  const studio = await startStudio(tag, storm.loopId);
  // Mutation phase, with Postgres restart(s) spread over it.
  log("mutation phase");
  const loops = devices.flatMap((d) => [d.outboxLoop(), d.pollLoop()]);
  const acting = Promise.all(devices.map((d) => d.actLoop(randomAction)));
  const phaseStart = Date.now();
  const restarts = (async () => {
    for (let i = 0; i < RESTARTS; i++) {
      const at = ((i + 1) / (RESTARTS + 1)) * SECONDS * 1000 * between(0.8, 1.1);
      await sleep(Math.max(0, phaseStart + at - Date.now()));
      if (!phase.running) break;
      await restartPostgres();
    }
  })();
  const progress = setInterval(() => {
    const queued = devices.reduce((n, d) => n + d.outbox.length, 0);
    log(
      `mutations ${counts.mutations}, acked ${counts.acknowledged}, queued ${queued}, 503s ${counts.s503}, reconnects ${counts.reconnects}${world.dbDown ? " (Postgres down)" : ""}`,
    );
  }, 5000);
  await sleep(SECONDS * 1000);
  phase.running = false;
  await acting;
  await restarts;
  await checkStorm(storm);
  await checkStudio(studio);

  // Drain: everyone online, every outbox empty.
  log("draining outboxes");
  const drainEnd = Date.now() + DRAIN_MS;
  while (devices.some((d) => d.outbox.length > 0 || !d.online) && Date.now() < drainEnd) await sleep(200);
  clearInterval(progress);
  const stuck = devices.filter((d) => d.outbox.length > 0);
  for (const d of stuck)
    violate(
      `${d.name}: outbox not drained within ${DRAIN_MS / 1000} s (${d.outbox.length} left: ${d.outbox[0]?.kind})`,
    );

  // Let duplicate retries finish, sockets settle, then final pulls.
  await sleep(1500);
  for (const d of devices) d.connect();
  await sleep(1000);
  for (let round = 0; round < 2; round++) {
    await Promise.all(
      devices.map(async (d) => {
        while (d.pulling) await d.pulling;
        await retryUntil(`${d.name} final pull`, async () => ((await d.pullOnce()) ? true : null));
      }),
    );
    await sleep(500);
  }
  for (const d of devices) {
    d.alive = false;
    d.ws?.terminate();
  }
  await Promise.race([Promise.all(loops), sleep(5000)]);

  // ---- checks ----
  log("checking convergence");
  let records = 0;
  for (const u of ctxs) {
    const server = await retryUntil(`user ${u.idx} server state`, () => serverState(u));
    const feed = await retryUntil(`user ${u.idx} feed`, () => fullFeed(u));
    records += server.size;

    // Feed folded from the start == server state.
    const folded = new Map<string, Wire>();
    const createdBy = new Map<string, Set<string>>(); // nonce → ids
    const creates = new Map<string, number>();
    feed.forEach((ch, i) => {
      if (Number(ch.cursor) !== i + 1) violate(`user ${u.idx}: feed cursor ${ch.cursor} at position ${i + 1}`);
      if (!u.ids.has(ch.id) && ch.id !== u.settingsId && !SERVER_CREATED.has(ch.entity))
        violate(`user ${u.idx}: foreign record ${ch.id} in feed`);
      const key = `${ch.entity}:${ch.id}`;
      if (ch.op === "upsert" && ch.data) {
        folded.set(key, ch.data);
        if (ch.version === 1 && ch.entity === "inbox_item") {
          creates.set(ch.id, (creates.get(ch.id) ?? 0) + 1);
          const nonce = String(ch.data.description);
          const set = createdBy.get(nonce) ?? new Set<string>();
          set.add(ch.id);
          createdBy.set(nonce, set);
        }
      } else folded.delete(key);
    });
    compare(`user ${u.idx}: feed fold vs server`, folded, server);
    for (const v of ledgerViolations(`user ${u.idx}`, server)) violate(v);
    for (const [id, n] of creates) if (n > 1) violate(`user ${u.idx}: record ${id} created ${n} times`);
    for (const [nonce, ids] of createdBy)
      if (ids.size > 1) violate(`user ${u.idx}: create ${nonce} produced ${ids.size} records`);
    const serverNonces = new Map<string, number>();
    for (const [k, v] of server)
      if (k.startsWith("inbox_item:"))
        serverNonces.set(String(v.description), (serverNonces.get(String(v.description)) ?? 0) + 1);
    for (const [nonce, n] of serverNonces) if (n > 1) violate(`user ${u.idx}: ${n} records for one create (${nonce})`);

    // Every acknowledged write is in the feed where its ack said.
    const byCursor = new Map(feed.map((ch) => [ch.cursor, ch]));
    for (const a of acks.filter((x) => x.user === u.idx)) {
      if (a.cursor === undefined) {
        // A create answered 200 (the id already existed with the same content): it must be in the feed.
        if (!feed.some((ch) => ch.id === a.id))
          violate(`user ${u.idx}: acknowledged ${a.kind} ${a.id} missing from the feed`);
        continue;
      }
      const ch = byCursor.get(a.cursor);
      if (!ch || ch.id !== a.id) {
        violate(
          `user ${u.idx}: acknowledged ${a.kind} ${a.id} not at cursor ${a.cursor} (found ${ch?.id ?? "nothing"})`,
        );
        continue;
      }
      if (a.kind === "delete" ? ch.op !== "delete" : ch.op !== "upsert" || ch.version !== a.version)
        violate(`user ${u.idx}: acknowledged ${a.kind} ${a.id} v${a.version} but feed has ${ch.op} v${ch.version}`);
    }

    // Every device's view == server state.
    for (const d of u.devices) compare(`${d.name}: device view vs server`, d.view, server);
  }

  // Another user's ids are 404 (read and write).
  for (const u of ctxs) {
    const other = ctxs[(u.idx + 1) % ctxs.length]!;
    const foreign = [...other.ids][0];
    if (!foreign) continue;
    const d = u.devices[0]!;
    const get = await d.http({ method: "GET", path: `/api/user/inbox/${foreign}`, headers: d.auth() });
    const put = await d.http({
      method: "PUT",
      path: `/api/user/inbox/${foreign}`,
      headers: { ...d.auth(), "idempotency-key": randomUUID() },
      body: { title: "not yours" },
    });
    if (get.status !== 404 || put.status !== 404)
      violate(`user ${u.idx} reached user ${other.idx}'s record: GET ${get.status}, PUT ${put.status}`);
  }

  const wall = (Date.now() - t0) / 1000;
  const st = summarize(settleTimes);
  const rows = Object.entries(counts).map(([k, v]) => `  ${k.padEnd(22)} ${v}`);
  rows.push(
    `  ${"outbox wait ms".padEnd(22)} p50 ${st.p50.toFixed(0)} · p99 ${st.p99.toFixed(0)} · max ${st.max.toFixed(0)} (enqueue → settled, retries and outages included)`,
  );
  process.stdout.write(
    `\nSoak: seed ${SEED}, ${USERS} users × ${DEVICES} devices (the last device of each user polls), ${SECONDS} s mutations, wall ${wall.toFixed(0)} s, ${records} records at the end\n${rows.join("\n")}\n`,
  );
  process.stdout.write(report500s());
  if (violations.length) {
    process.stdout.write(`\n${violations.length} violation(s):\n${violations.map((v) => `  - ${v}`).join("\n")}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write("\nConverged: every device equals the server; no lost, duplicated or leaked write.\n");
  }
}

function compare(label: string, got: Map<string, Wire>, want: Map<string, Wire>): void {
  const diffs: string[] = [];
  for (const [k, v] of want) {
    const g = got.get(k);
    if (!g) diffs.push(`missing ${k}`);
    else if (canon(comparable(k, g)) !== canon(comparable(k, v)))
      diffs.push(`differs ${k}: ${canon(g).slice(0, 160)} ≠ ${canon(v).slice(0, 160)}`);
  }
  for (const k of got.keys()) if (!want.has(k) && !UNLISTED.has(k.split(":")[0]!)) diffs.push(`extra ${k}`);
  if (diffs.length) violate(`${label}: ${diffs.length} difference(s): ${diffs.slice(0, 3).join("; ")}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error("[soak] failed:", err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
