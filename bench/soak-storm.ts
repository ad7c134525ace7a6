/**
 * The abuse part of `npm run soak` (issue #21), beside the devices: fans
 * toggle like/unlike on one owner's public loop as fast as the API lets them
 * (429s honoured with Retry-After), and a user close to a quota races creates
 * past it (413s expected). At the end:
 *   - the loop's likes_count equals its like rows, and the owner's change log
 *     holds one entry for the loop (collapsed), each fan's at most one like entry;
 *   - the quota user holds exactly the quota, never more;
 *   - no 500 anywhere (503 only while Postgres is down).
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { QUOTAS } from "../workers/protocol/rules.ts";
import { makeAgent, nodePool, seedUsers, send, type Req, type TestUser } from "./lib.ts";
import { counts, log, phase, saw500, violate, world } from "./soak-world.ts";
import { sleep } from "./stack.ts";

const FANS = 3;
const QUOTA_HEADROOM = 5;

export interface Storm {
  owner: TestUser;
  fans: TestUser[];
  quotaUser: TestUser;
  loopId: string;
  done: Promise<void>;
}

export const auth = (u: TestUser) => ({ authorization: `Bearer ${u.token}` });

/**
 * One request with the soak's rules: a 500 is a violation; 503 (Postgres down), 429 and 409
 * `idempotency_in_progress` (retry the same key later, as a device's outbox does) are waited out.
 */
export async function request(agent: http.Agent, req: Req, what: string): Promise<number> {
  for (;;) {
    const res = await send(world.stack.baseUrl, agent, req).catch(() => null);
    if (!res) {
      await sleep(200);
      continue;
    }
    if (res.status === 500) saw500(`${what} (${req.method} ${req.path})`, res.text);
    if (res.status === 503) {
      await sleep(300);
      continue;
    }
    // The same key's first request died with Postgres: its claim is taken over once stale (≤ 15 s).
    if (res.status === 409 && res.text.includes("idempotency_in_progress")) {
      counts.inProgress409++;
      await sleep(1000);
      continue;
    }
    if (res.status === 429) {
      counts.stormRateLimited++;
      const wait = Number(res.headers["retry-after"] ?? 1) * 1000;
      // Wait it out, but never past the mutation phase.
      const end = Date.now() + wait;
      while (phase.running && Date.now() < end) await sleep(250);
      if (!phase.running) return 429;
      continue;
    }
    return res.status;
  }
}

export async function startStorm(tag: string): Promise<Storm> {
  const users = await seedUsers(world.stack.db.url, world.stack.db.directWsProxy, FANS + 2, `storm_${tag}`);
  const [owner, quotaUser, ...fans] = users as [TestUser, TestUser, ...TestUser[]];
  const agent = makeAgent(FANS + 2);
  const loop = await send(world.stack.baseUrl, agent, {
    method: "POST",
    path: "/api/studio/loops",
    headers: auth(owner),
    body: {
      name: "Storm",
      bars: 1,
      bpm: 120,
      color: "#aa3366",
      chord_progression: ["C"],
      visibility: "public",
      remixable: true,
    },
  });
  if (loop.status !== 201) throw new Error(`storm: loop create ${loop.status} ${loop.text}`);
  const loopId = (loop.json() as { id: string }).id;
  // Close to the custom-reward quota: filled in SQL (the API would take minutes), the last slots raced over the API.
  await withDb((q) =>
    q(
      `insert into market_items (id, user_id, name, price, consumable)
       select gen_random_uuid(), $1, 'filler', 1, true from generate_series(1, $2)`,
      [quotaUser.id, QUOTAS.custom_rewards - QUOTA_HEADROOM],
    ),
  );

  const fan = async (u: TestUser) => {
    while (phase.running) {
      const like = Math.random() < 0.5;
      const status = await request(
        agent,
        { method: like ? "PUT" : "DELETE", path: `/api/studio/loops/${loopId}/like`, headers: auth(u) },
        "like",
      );
      if (status === 200) counts.stormToggles++;
      else if (status !== 429) violate(`storm: like answered ${status}`);
    }
  };
  const quotaRacer = async () => {
    while (phase.running) {
      const status = await request(
        agent,
        {
          method: "POST",
          path: "/api/market/items",
          headers: { ...auth(quotaUser), "idempotency-key": randomUUID() },
          body: { name: "one more", price: 5 },
        },
        "custom reward",
      );
      if (status === 413) counts.stormQuotaHits++;
      else if (status !== 201 && status !== 429) violate(`storm: reward create answered ${status}`);
      await sleep(100);
    }
  };
  const done = Promise.all([...fans.map(fan), quotaRacer(), quotaRacer()]).then(() => agent.destroy());
  log(`storm: ${FANS} fans toggling a like, one user racing past the custom-reward quota`);
  return { owner, fans, quotaUser, loopId, done };
}

/** The storm's end state (after the mutation phase): counters, collapsed logs, the quota held. */
export async function checkStorm(s: Storm): Promise<void> {
  await s.done;
  await withDb(async (q) => {
    const counters = await q(
      `select likes_count, (select count(*)::int from loop_likes where loop_id = $1) as rows from loops where id = $1`,
      [s.loopId],
    );
    if (counters.likes_count !== counters.rows)
      violate(`storm: likes_count ${counters.likes_count} but ${counters.rows} like rows`);
    const ownerEntries = await q(`select count(*)::int as n from change_log where user_id = $1 and record_id = $2`, [
      s.owner.id,
      s.loopId,
    ]);
    counts.stormOwnerLogEntries = ownerEntries.n;
    if (ownerEntries.n !== 1)
      violate(`storm: ${ownerEntries.n} entries for the loop in its owner's log after the storm (want 1)`);
    for (const f of s.fans) {
      const mine = await q(`select count(*)::int as n from change_log where user_id = $1 and record_id = $2`, [
        f.id,
        s.loopId,
      ]);
      if (mine.n > 1) violate(`storm: ${mine.n} like entries in a fan's log (want ≤ 1)`);
    }
    const rewards = await q(`select count(*)::int as n from market_items where user_id = $1`, [s.quotaUser.id]);
    if (rewards.n !== QUOTAS.custom_rewards)
      violate(`storm: the quota user holds ${rewards.n} custom rewards (quota ${QUOTAS.custom_rewards})`);
    if (counts.stormQuotaHits === 0) violate("storm: the quota was never hit");
  });
}

/** A one-connection pool on the soak's database for `fn`, closed after; `q` answers a query's first row. */
export async function withDb<T>(fn: (q: (text: string, params: unknown[]) => Promise<any>) => Promise<T>): Promise<T> {
  const pool = nodePool(world.stack.db.url);
  try {
    return await fn(async (text, params) => (await pool.query(text, params)).rows[0]);
  } finally {
    await pool.end().catch(() => {});
  }
}
