/**
 * Purchases, refunds and likes are ONE database call (db/migrations/
 * 0009_one_call_writes.sql) that the session check leads: one round trip, no
 * WebSocket connection — and their changes still reach the change feed, the
 * `X-Sync-Cursor` and the other devices' sockets as every write's do.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { as, call, signup, SIGNUP_ENTITIES } from "../support/api";
import { openSocket } from "../support/socket";
import { dbRows } from "../support/db";

const q = (r: { headers: Headers }) => Number(r.headers.get("x-db-queries"));
const conns = (r: { headers: Headers }) => Number(r.headers.get("x-db-connections"));
const key = () => ({ "idempotency-key": crypto.randomUUID() });
const STRETCH = "00000000-0000-4000-8000-00000000c002";
const FOREST = "00000000-0000-4000-8000-00000000a001";

async function feedSince(u: { token: string }, since: string) {
  const r = await as(u).get(`/api/sync/changes?since=${since}`);
  expect(r.status).toBe(200);
  return r.body.changes as Array<{ cursor: string; entity: string; op: string; id: string; data: any }>;
}

describe("one-call writes", () => {
  test("a purchase is one round trip with no new connection; its changes are in the feed up to X-Sync-Cursor", async () => {
    const u = await signup();
    const before = (await as(u).get("/api/sync/changes")).body.cursor as string;
    const bought = await as(u).post("/api/market/purchases", { item_id: STRETCH }, key());
    expect(bought.status).toBe(201);
    expect([q(bought), conns(bought)]).toEqual([1, 0]);
    const changes = await feedSince(u, before);
    // Purchase, debit + ledger row, then the first-purchase reward + its bonus and ledger row.
    expect(changes.map((c) => c.entity)).toEqual([
      "market_purchase",
      "wallet",
      "market_transaction",
      "market_reward",
      "wallet",
      "market_transaction",
    ]);
    expect(bought.headers.get("x-sync-cursor")).toBe(changes.at(-1)!.cursor);
    expect(changes[0]!.data).toEqual(bought.body.purchase);
    expect(changes[4]!.data).toEqual(bought.body.wallet);
    expect(bought.body.wallet.balance).toBe(100 - 15 + 10);

    // Refusals are one round trip too, and change nothing.
    const owned = await as(u).post("/api/market/purchases", { item_id: FOREST }, key());
    expect([owned.status, owned.body.error.code]).toEqual([409, "insufficient_funds"]);
    expect(owned.body.error.message).toContain("150 coins");
    expect(await feedSince(u, changes.at(-1)!.cursor)).toEqual([]);

    const refunded = await as(u).post(`/api/market/purchases/${bought.body.purchase.id}/refund`, undefined, key());
    expect(refunded.status).toBe(200);
    expect([q(refunded), conns(refunded)]).toEqual([1, 0]);
    const after = await feedSince(u, changes.at(-1)!.cursor);
    expect(after.map((c) => c.entity)).toEqual(["market_purchase", "wallet", "market_transaction"]);
    expect(after[0]!.data.refunded_at).toBeTruthy();
    expect(refunded.headers.get("x-sync-cursor")).toBe(after.at(-1)!.cursor);

    const missing = await as(u).post(`/api/market/purchases/${crypto.randomUUID()}/refund`);
    expect(missing.status).toBe(404);
    const unknownItem = await as(u).post("/api/market/purchases", { item_id: crypto.randomUUID() });
    expect(unknownItem.status).toBe(404);
  });

  test("a purchase's changes reach the user's other device live", async () => {
    const u = await signup();
    const socket = await openSocket(u.token);
    try {
      const bought = await as(u).post("/api/market/purchases", { item_id: STRETCH }, key());
      expect(bought.status).toBe(201);
      const cursor = bought.headers.get("x-sync-cursor")!;
      const message = await socket.next((m) => m.type === "changes" && m.cursor === cursor);
      const entities = message.changes.map((c: { entity: string }) => c.entity);
      expect(entities).toEqual([
        "market_purchase",
        "wallet",
        "market_transaction",
        "market_reward",
        "wallet",
        "market_transaction",
      ]);
      expect(message.changes[0].data).toEqual(bought.body.purchase);
    } finally {
      socket.close();
    }
  });

  test("a like is one call; the owner's feed gets the new count, the liker's the like", async () => {
    const [a, b] = [await signup(), await signup()];
    const loop = (
      await as(a).post("/api/studio/loops", { name: "l", bars: 4, bpm: 120, color: "#112233", visibility: "public" })
    ).body;
    const aBefore = (await as(a).get("/api/sync/changes")).body.cursor as string;
    const bBefore = (await as(b).get("/api/sync/changes")).body.cursor as string;
    const liked = await as(b).put(`/api/studio/loops/${loop.id}/like`, undefined, key());
    expect([liked.status, liked.body]).toEqual([200, { liked: true, likes_count: 1 }]);
    // One query: the session check leads the like, whose call also charges the (actor, owner) and actor
    // limits (migration 0035), so they commit only with a passed check.
    expect([q(liked), conns(liked)]).toEqual([1, 0]);
    const hits = () =>
      dbRows(sql`select bucket, hits from rate_windows where user_id = ${b.id} order by bucket`).then((rows) =>
        rows.map((r) => [r.bucket, r.hits]),
      );
    expect(await hits()).toEqual([
      ["social", 1],
      [`social:${a.id}`, 1],
    ]);
    // A forged token naming b (b's id is public: it is in the feed) is 401 and charges b nothing.
    const forged = await call("PUT", `/api/studio/loops/${loop.id}/like`, {
      headers: { authorization: `Bearer ${b.id}.${"x".repeat(43)}` },
    });
    expect(forged.status).toBe(401);
    expect(await hits()).toEqual([
      ["social", 1],
      [`social:${a.id}`, 1],
    ]);
    const own = await feedSince(b, bBefore);
    expect(own.map((c) => [c.entity, c.op, c.id])).toEqual([["loop_like", "upsert", loop.id]]);
    expect(liked.headers.get("x-sync-cursor")).toBe(own[0]!.cursor);
    const owners = await feedSince(a, aBefore);
    expect(owners.map((c) => [c.entity, c.data.likes_count, c.data.version])).toEqual([["loop", 1, 1]]);

    const unliked = await as(b).del(`/api/studio/loops/${loop.id}/like`, key());
    expect(unliked.body).toEqual({ liked: false, likes_count: 0 });
    expect((await feedSince(b, own[0]!.cursor)).map((c) => [c.entity, c.op])).toEqual([["loop_like", "delete"]]);
    const again = await as(b).del(`/api/studio/loops/${loop.id}/like`, key());
    expect(again.body).toEqual({ liked: false, likes_count: 0 });

    const hidden = await as(b).put(`/api/studio/loops/${crypto.randomUUID()}/like`);
    expect(hidden.status).toBe(404);
  });

  test("a focus start is one round trip; ending one is one, plus one only when an achievement is due", async () => {
    const u = await signup();
    const started = await as(u).post("/api/focus/sessions", { duration_s: 600 }, key());
    expect([started.status, q(started), conns(started)]).toEqual([201, 1, 0]);
    const running = await as(u).post("/api/focus/sessions", { duration_s: 600 }, key());
    expect([running.status, running.body.error.code]).toEqual([409, "focus_session_running"]);
    // Ended at once: no focused minute, so no coins and no achievement.
    const ended = await as(u).post(`/api/focus/sessions/${started.body.id}/complete`, undefined, key());
    expect([ended.status, ended.body.status, q(ended), conns(ended)]).toEqual([200, "completed", 1, 0]);
    const again = await as(u).post(`/api/focus/sessions/${started.body.id}/complete`, undefined, key());
    expect([again.status, again.body.error.code]).toEqual([409, "focus_session_ended"]);
    const none = await as(u).post(`/api/focus/sessions/${crypto.randomUUID()}/abandon`);
    expect(none.status).toBe(404);

    // 30 focused minutes: 30 coins, and the first-session achievement (+20) by a second call.
    const s = (await as(u).post("/api/focus/sessions", { duration_s: 3600, label: "deep" })).body;
    await dbRows(sql`update focus_sessions set started_at = now() - interval '30 minutes' where id = ${s.id}`);
    const before = (await as(u).get("/api/sync/changes")).body.cursor as string;
    const socket = await openSocket(u.token);
    const done = await as(u).post(`/api/focus/sessions/${s.id}/complete`, undefined, key());
    expect([done.status, q(done), conns(done)]).toEqual([200, 2, 0]);
    // Both calls' changes reach the other devices as ONE message (one "+50 coins", not two).
    const live = await socket.next((m) => m.type === "changes" && m.cursor === done.headers.get("x-sync-cursor"));
    socket.close();
    expect(live.changes).toHaveLength(6);
    const changes = await feedSince(u, before);
    expect(changes.map((c) => c.entity)).toEqual([
      "focus_session",
      "wallet",
      "market_transaction",
      "market_reward",
      "wallet",
      "market_transaction",
    ]);
    expect(changes[2]!.data).toMatchObject({ amount: 30, description: "30 focused minutes — deep" });
    expect(changes[3]!.data.achievement).toBe("first_session");
    expect(done.headers.get("x-sync-cursor")).toBe(changes.at(-1)!.cursor);
    expect((await as(u).get("/api/market/wallet")).body.balance).toBe(100 + 30 + 20);

    const stale = (await as(u).post("/api/focus/sessions", { duration_s: 600 })).body;
    const conflict = await as(u).post(`/api/focus/sessions/${stale.id}/abandon`, undefined, { "if-match": '"7"' });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, "version_conflict"]);
  });

  test("a signup is one round trip: account, settings, wallet and welcome grant, session; a taken name is 409", async () => {
    const name = `oc${crypto.randomUUID().slice(0, 8)}`;
    const body = { email: `${name}@example.test`, username: name, password: "correct horse battery" };
    const made = await call("POST", "/api/auth/signup", {
      json: body,
      headers: { "cf-connecting-ip": "198.51.100.77" },
    });
    expect([made.status, q(made), conns(made)]).toEqual([201, 1, 0]);
    const changes = await feedSince({ token: made.body.token }, "0");
    expect(changes.map((c) => c.entity)).toEqual(SIGNUP_ENTITIES);
    expect(made.headers.get("x-sync-cursor")).toBe(changes.at(-1)!.cursor);
    expect((await as({ token: made.body.token }).get("/api/auth/me")).body.user.username).toBe(name);
    const taken = await call("POST", "/api/auth/signup", {
      json: { ...body, email: `other-${body.email}` },
      headers: { "cf-connecting-ip": "198.51.100.78" },
    });
    expect([taken.status, taken.body.error.code]).toEqual([409, "username_taken"]);
  });
});
