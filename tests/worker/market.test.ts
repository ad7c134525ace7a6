import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { as, signup, type TestUser } from "../support/api";
import { dbRows } from "../support/db";

const CATALOG = {
  forest: "00000000-0000-4000-8000-00000000a001",
  rain: "00000000-0000-4000-8000-00000000b002",
  brown: "00000000-0000-4000-8000-00000000b001",
  stretch: "00000000-0000-4000-8000-00000000c002",
  coffee: "00000000-0000-4000-8000-00000000c001",
};

const wallet = async (u: TestUser) => (await as(u).get("/api/market/wallet")).body;
const ledger = async (u: TestUser) => (await as(u).get("/api/market/transactions?page_size=100")).body.items as any[];

/** balance = sum of the ledger, never negative, and every row's balance_after is consistent. */
async function expectConsistent(u: TestUser) {
  const w = await wallet(u);
  const rows = await ledger(u);
  expect(rows.reduce((s, r) => s + r.amount, 0)).toBe(w.balance);
  expect(w.balance).toBeGreaterThanOrEqual(0);
  expect(rows[0]?.balance_after).toBe(w.balance);
  return w;
}

/** A session that has run `minutes` (with `pausedS` of it paused), completed now. */
async function completeSession(u: TestUser, minutes: number, pausedS = 0) {
  const s = (await as(u).post("/api/focus/sessions", { duration_s: 14_400, label: "deep" })).body;
  await dbRows(sql`update focus_sessions set started_at = now() - make_interval(secs => ${minutes * 60 + pausedS}),
    paused_total_s = ${pausedS} where id = ${s.id}`);
  return as(u).post(`/api/focus/sessions/${s.id}/complete`);
}

describe("market: earning", () => {
  test("signup grants 100 coins in the ledger and the change feed", async () => {
    const u = await signup();
    const w = await expectConsistent(u);
    expect(w).toMatchObject({ balance: 100, lifetime_earned: 100, version: 1 });
    const rows = await ledger(u);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 100, kind: "earn", source_type: "welcome", source_id: u.id });
    const feed = (await as(u).get("/api/sync/changes")).body.changes.map((c: any) => c.entity);
    expect(feed).toEqual(expect.arrayContaining(["settings", "wallet", "market_transaction"]));
  });

  test("a completed session earns 1 coin per focused minute once (paused time excluded); abandoning earns nothing", async () => {
    const u = await signup();
    // 25 min of wall time, 90 s of it paused: 23.5 focused minutes → 23 coins, plus the first-session bonus.
    const done = await completeSession(u, 23.5, 90);
    expect(done.status).toBe(200);
    const again = await as(u).post(`/api/focus/sessions/${done.body.id}/complete`);
    expect(again.status).toBe(409);
    // Parallel retries of the completion with distinct keys: still one earn row.
    await Promise.all(Array.from({ length: 5 }, () => as(u).post(`/api/focus/sessions/${done.body.id}/complete`)));
    const rows = await ledger(u);
    const earns = rows.filter((r) => r.source_type === "focus_session");
    expect(earns).toHaveLength(1);
    expect(earns[0]).toMatchObject({ amount: 23, kind: "earn", source_id: done.body.id });
    const bonus = rows.filter((r) => r.source_type === "achievement");
    expect(bonus.map((r) => r.amount)).toEqual([20]);
    expect((await expectConsistent(u)).balance).toBe(100 + 23 + 20);

    const s = (await as(u).post("/api/focus/sessions", { duration_s: 600 })).body;
    await dbRows(sql`update focus_sessions set started_at = now() - interval '9 minutes' where id = ${s.id}`);
    expect((await as(u).post(`/api/focus/sessions/${s.id}/abandon`)).status).toBe(200);
    expect(await ledger(u)).toHaveLength(rows.length);
  });

  test("a session whose time ran out is completed by the next start, and earns like any completion", async () => {
    const u = await signup();
    const s = (await as(u).post("/api/focus/sessions", { duration_s: 600, label: "ran out" })).body;
    await dbRows(sql`update focus_sessions set started_at = now() - interval '12 minutes' where id = ${s.id}`);
    const next = await as(u).post("/api/focus/sessions", { duration_s: 600 });
    expect(next.status).toBe(201);
    expect((await as(u).get(`/api/focus/sessions/${s.id}`)).body.status).toBe("completed");
    const rows = await ledger(u);
    // Its 10 minutes (the duration caps the 12 that passed) and the first-session achievement.
    expect(rows.filter((r) => r.source_type === "focus_session")).toEqual([
      expect.objectContaining({
        amount: 10,
        kind: "earn",
        source_id: s.id,
        description: "10 focused minutes — ran out",
      }),
    ]);
    expect(rows.filter((r) => r.source_type === "achievement").map((r) => r.amount)).toEqual([20]);
    expect((await expectConsistent(u)).balance).toBe(100 + 10 + 20);
  });

  test("achievements: granted once each with their bonus; streaks count the user's local days", async () => {
    const u = await signup();
    expect((await as(u).put("/api/settings", { time_zone: "Mars/Olympus" })).status).toBe(422);
    expect((await as(u).put("/api/settings", { time_zone: "Asia/Tokyo" })).body.time_zone).toBe("Asia/Tokyo");
    // Sessions on the two previous local days (Tokyo has no DST, so −24 h is always yesterday).
    for (const daysAgo of [1, 2])
      await dbRows(sql`insert into focus_sessions (id, user_id, duration_s, status, started_at, ended_at)
        values (gen_random_uuid(), ${u.id}, 600, 'completed', now() - make_interval(days => ${daysAgo}, mins => 5),
          now() - make_interval(days => ${daysAgo}))`);
    const before = (await as(u).get("/api/market/rewards")).body.items;
    expect(before.find((a: any) => a.id === "streak_3")).toMatchObject({ progress: 2, target: 3, earned_at: null });
    expect((await completeSession(u, 61)).status).toBe(200);
    const after = (await as(u).get("/api/market/rewards")).body.items as any[];
    const earned = after.filter((a) => a.earned_at).map((a) => a.id);
    expect(earned.sort()).toEqual(["deep_work", "first_session", "streak_3"]);
    // 5 + 5 + 61 focused minutes so far.
    expect(after.find((a) => a.id === "focused_10h")).toMatchObject({ progress: 71, target: 600 });
    const bonuses = (await ledger(u)).filter((r) => r.source_type === "achievement").map((r) => r.amount);
    expect(bonuses.sort()).toEqual([20, 30, 50]);
    // Another completion grants nothing new.
    expect((await completeSession(u, 2)).status).toBe(200);
    expect((await ledger(u)).filter((r) => r.source_type === "achievement")).toHaveLength(3);
    await expectConsistent(u);
  });
});

describe("market: purchases", () => {
  test("20 parallel purchases with distinct keys against a balance that affords 7 → exactly 7 succeed", async () => {
    const u = await signup();
    // Earn the first-purchase bonus first so it doesn't change the arithmetic: 100 − 15 + 10 = 95.
    expect((await as(u).post("/api/market/purchases", { item_id: CATALOG.stretch })).status).toBe(201);
    const start = (await wallet(u)).balance;
    expect(start).toBe(95);
    const price = 13; // 95 affords 7 × 13 = 91
    const item = (await as(u).post("/api/market/items", { name: "Episode of my show", price })).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        as(u).post("/api/market/purchases", { item_id: item.id }, { "idempotency-key": crypto.randomUUID() }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(7);
    expect(statuses.filter((s) => s === 409)).toHaveLength(13);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe("insufficient_funds");
    const w = await expectConsistent(u);
    expect(w.balance).toBe(start - 7 * price);
    const purchases = (await as(u).get("/api/market/purchases?page_size=100")).body;
    expect(purchases.total).toBe(8);
  });

  test("purchases, refunds and a completion racing for one wallet: no deadlock, balance = ledger, never negative", async () => {
    const u = await signup();
    await completeSession(u, 120); // 100 + 120 + 20 + 30 = 270
    const first = (await as(u).post("/api/market/purchases", { item_id: CATALOG.coffee })).body.purchase;
    const s = (await as(u).post("/api/focus/sessions", { duration_s: 3600 })).body;
    await dbRows(sql`update focus_sessions set started_at = now() - interval '30 minutes' where id = ${s.id}`);
    const results = await Promise.all([
      ...Array.from({ length: 12 }, () => as(u).post("/api/market/purchases", { item_id: CATALOG.coffee })),
      as(u).post(`/api/market/purchases/${first.id}/refund`),
      as(u).post(`/api/focus/sessions/${s.id}/complete`),
      as(u).put("/api/settings", { theme: "dark" }),
    ]);
    for (const r of results) expect([200, 201, 409]).toContain(r.status);
    const w = await expectConsistent(u);
    const bought = results.filter((r) => r.status === 201).length;
    // 270 − 30 + 10 (first purchase) + 30 (refund) + 30 (the session) − 30 × bought
    expect(w.balance).toBe(310 - 30 * bought);
  });

  test("20 parallel requests with one Idempotency-Key make one purchase; a repeated id returns it", async () => {
    const u = await signup();
    const key = crypto.randomUUID();
    const id = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        as(u).post("/api/market/purchases", { item_id: CATALOG.coffee, id }, { "idempotency-key": key }),
      ),
    );
    for (const r of results) expect([201, 409]).toContain(r.status);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe("idempotency_in_progress");
    expect((await as(u).get("/api/market/purchases")).body.total).toBe(1);
    // Same client id, new key (e.g. a retry after the key expired): the same purchase, nothing charged.
    const again = await as(u).post("/api/market/purchases", { item_id: CATALOG.coffee, id });
    expect(again.status).toBe(200);
    expect(again.body.purchase.id).toBe(id);
    const parallel = await Promise.all(
      Array.from({ length: 5 }, () => as(u).post("/api/market/purchases", { item_id: CATALOG.coffee, id })),
    );
    for (const r of parallel) expect(r.status).toBe(200);
    const w = await expectConsistent(u);
    expect(w.balance).toBe(100 - 30 + 10);
    expect((await as(u).get("/api/market/purchases")).body.total).toBe(1);
  });

  test("non-consumables: owned once (409 already_owned, also in parallel); insufficient funds change nothing", async () => {
    const u = await signup();
    const poor = await as(u).post("/api/market/purchases", { item_id: CATALOG.brown });
    expect(poor.status).toBe(409);
    expect(poor.body.error.code).toBe("insufficient_funds");
    expect((await as(u).get("/api/market/purchases")).body.total).toBe(0);
    expect(await ledger(u)).toHaveLength(1);
    expect((await wallet(u)).version).toBe(1);

    await completeSession(u, 200); // +200, +20 first session, +30 deep work → 350
    const first = await as(u).post("/api/market/purchases", { item_id: CATALOG.brown });
    expect(first.status).toBe(201);
    expect(first.body.purchase).toMatchObject({
      item_name: "Brown noise",
      price: 120,
      consumable: false,
      refunded_at: null,
    });
    expect(first.body.purchase.effect).toEqual({ kind: "soundscape", sound: "brown" });
    expect(first.body.wallet.balance).toBe(350 - 120 + 10);
    const owned = await as(u).post("/api/market/purchases", { item_id: CATALOG.brown });
    expect(owned.status).toBe(409);
    expect(owned.body.error.code).toBe("already_owned");

    const racing = await Promise.all(
      Array.from({ length: 8 }, () => as(u).post("/api/market/purchases", { item_id: CATALOG.rain })),
    );
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of racing.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("already_owned");
    }
    expect((await expectConsistent(u)).balance).toBe(240 - 180);
  });

  test("refund within 24 h, once, by a correcting ledger row; a refunded non-consumable can be bought again", async () => {
    const u = await signup();
    const bought = (await as(u).post("/api/market/purchases", { item_id: CATALOG.stretch })).body.purchase;
    const refunds = await Promise.all(
      Array.from({ length: 5 }, () => as(u).post(`/api/market/purchases/${bought.id}/refund`)),
    );
    expect(refunds.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of refunds.filter((x) => x.status !== 200)) expect(r.body.error.code).toBe("already_refunded");
    const ok = refunds.find((r) => r.status === 200)!.body;
    expect(ok.purchase.refunded_at).toBeTruthy();
    // The first-purchase bonus stays.
    expect(ok.wallet.balance).toBe(100 + 10);
    const again = await as(u).post(`/api/market/purchases/${bought.id}/refund`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_refunded");
    const rows = await ledger(u);
    expect(rows.filter((r) => r.kind === "refund")).toEqual([
      expect.objectContaining({ amount: 15, source_type: "refund", source_id: bought.id }),
    ]);
    await expectConsistent(u);

    await completeSession(u, 200);
    const theme = (await as(u).post("/api/market/purchases", { item_id: CATALOG.forest })).body.purchase;
    expect((await as(u).post(`/api/market/purchases/${theme.id}/refund`)).status).toBe(200);
    expect((await as(u).post("/api/market/purchases", { item_id: CATALOG.forest })).status).toBe(201);

    const old = (await as(u).post("/api/market/purchases", { item_id: CATALOG.coffee })).body.purchase;
    await dbRows(sql`update user_market_purchases set created_at = now() - interval '25 hours' where id = ${old.id}`);
    const late = await as(u).post(`/api/market/purchases/${old.id}/refund`);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("refund_window_closed");
    await expectConsistent(u);
  });

  test("the ledger is append-only in the database", async () => {
    const u = await signup();
    await expect(dbRows(sql`update market_transactions set amount = 1000 where user_id = ${u.id}`)).rejects.toThrow();
    await expect(dbRows(sql`delete from market_transactions where user_id = ${u.id}`)).rejects.toThrow();
    await expect(dbRows(sql`update user_wallet set balance = -1 where user_id = ${u.id}`)).rejects.toThrow();
    expect((await expectConsistent(u)).balance).toBe(100);
  });
});

describe("market: catalog, custom rewards, recommendations", () => {
  test("catalog: at least 12 active items across at least 3 tags; tag filter; bad params → 400", async () => {
    const u = await signup();
    const all = (await as(u).get("/api/market/items?page_size=100")).body;
    const catalog = all.items.filter((i: any) => !i.custom);
    expect(catalog.length).toBeGreaterThanOrEqual(12);
    expect(new Set(catalog.flatMap((i: any) => i.tags)).size).toBeGreaterThanOrEqual(3);
    const themes = (await as(u).get("/api/market/items?tag=Theme")).body.items;
    expect(themes.length).toBeGreaterThanOrEqual(3);
    expect(themes.every((i: any) => i.tags.includes("theme") && i.effect?.kind === "accent")).toBe(true);
    for (const q of ["page=0", "page_size=101", "bogus=1"])
      expect((await as(u).get(`/api/market/items?${q}`)).status, q).toBe(400);
  });

  test("custom rewards: CRUD with §3 versions; always consumable; only the owner sees or buys them", async () => {
    const u = await signup();
    const other = await signup();
    const created = await as(u).post("/api/market/items", { name: "An episode of my show", price: 40, tags: ["Fun"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, custom: true, consumable: true, tags: ["fun"], slug: null });
    expect(created.headers.get("etag")).toBe('"1"');
    const id = created.body.id;
    const updated = await as(u).put(`/api/market/items/${id}`, { price: 45 }, { "if-match": '"1"' });
    expect(updated.body).toMatchObject({ version: 2, price: 45 });
    const stale = await as(u).put(`/api/market/items/${id}`, { price: 50 }, { "if-match": '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details.current.version).toBe(2);
    expect((await as(u).get(`/api/market/items/${id}`)).body.price).toBe(45);

    // Another user: 404 on every route, and never listed or recommended.
    expect((await as(other).get(`/api/market/items/${id}`)).status).toBe(404);
    expect((await as(other).put(`/api/market/items/${id}`, { price: 1 })).status).toBe(404);
    expect((await as(other).del(`/api/market/items/${id}`)).status).toBe(404);
    expect((await as(other).post("/api/market/purchases", { item_id: id })).status).toBe(404);
    const theirs = (await as(other).get("/api/market/items?page_size=100")).body.items.map((i: any) => i.id);
    expect(theirs).not.toContain(id);
    const recs = (await as(other).get("/api/market/recommendations")).body.items.map((r: any) => r.item.id);
    expect(recs).not.toContain(id);
    // Catalog items are nobody's to edit.
    expect((await as(u).put(`/api/market/items/${CATALOG.forest}`, { price: 1 })).status).toBe(404);
    expect((await as(u).del(`/api/market/items/${CATALOG.forest}`)).status).toBe(404);
    expect((await as(u).post("/api/market/purchases", { item_id: crypto.randomUUID() })).status).toBe(404);

    // Bought twice (consumable), then deleted: the purchases keep their name.
    expect((await as(u).post("/api/market/purchases", { item_id: id })).status).toBe(201);
    expect((await as(u).post("/api/market/purchases", { item_id: id })).status).toBe(201);
    expect((await as(u).del(`/api/market/items/${id}`, { "if-match": '"1"' })).status).toBe(409);
    expect((await as(u).del(`/api/market/items/${id}`)).status).toBe(204);
    expect((await as(u).get(`/api/market/items/${id}`)).status).toBe(404);
    const inventory = (await as(u).get("/api/market/purchases")).body.items;
    expect(inventory.map((p: any) => p.item_name)).toEqual(["An episode of my show", "An episode of my show"]);
    const feed = (await as(u).get("/api/sync/changes")).body.changes.filter((c: any) => c.entity === "market_item");
    expect(feed.at(-1)).toMatchObject({ op: "delete", id });
    await expectConsistent(u);
  });

  test("recommendations: unowned items with reasons, stable across calls", async () => {
    const u = await signup();
    const peer = await signup();
    // The peer owns Brown noise and Forest accent: a co-purchase signal for u once u owns Brown noise.
    await completeSession(peer, 240);
    await as(peer).post("/api/market/purchases", { item_id: CATALOG.brown });
    await as(peer).post("/api/market/purchases", { item_id: CATALOG.forest });
    await completeSession(u, 200);
    await as(u).post("/api/market/purchases", { item_id: CATALOG.rain });
    const first = (await as(u).get("/api/market/recommendations")).body.items as any[];
    const second = (await as(u).get("/api/market/recommendations")).body.items as any[];
    expect(second).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
    const ids = first.map((r) => r.item.id);
    expect(ids).not.toContain(CATALOG.rain);
    for (let i = 1; i < first.length; i++) {
      const [a, b] = [first[i - 1], first[i]];
      expect(a.score > b.score || (a.score === b.score && a.item.id < b.item.id)).toBe(true);
    }
    for (const r of first) expect(r.reason).toMatch(/\S/);
    // Forest rain is tagged nature/water: a nature item names what the two share and what is owned.
    const walk = first.find((r) => r.item.tags.includes("nature"));
    expect(walk?.reason).toMatch(/^Another (nature|water|soundscape) item, like Forest rain, which you own$/);
    expect(walk?.item.tags).toContain(walk?.reason.split(" ")[1]);
  });

  test("bad bodies → 422 and nothing written", async () => {
    const u = await signup();
    const bad: Array<[string, unknown]> = [
      ["/api/market/items", {}],
      ["/api/market/items", { name: "x", price: 0 }],
      ["/api/market/items", { name: "x", price: 100_001 }],
      ["/api/market/items", { name: "x", price: 1.5 }],
      ["/api/market/items", { name: "", price: 5 }],
      ["/api/market/items", { name: "x", price: 5, consumable: false }],
      ["/api/market/items", { name: "x", price: 5, tags: "a" }],
      ["/api/market/items", { name: "x\u0000", price: 5 }],
      ["/api/market/purchases", {}],
      ["/api/market/purchases", { item_id: "forest" }],
      ["/api/market/purchases", { item_id: CATALOG.coffee, price: 1 }],
      ["/api/market/purchases", { item_id: CATALOG.coffee, id: "nope" }],
    ];
    for (const [path, body] of bad)
      expect((await as(u).post(path, JSON.parse(JSON.stringify(body)))).status, JSON.stringify(body)).toBe(422);
    expect((await as(u).put("/api/settings", { accent: "Not An Accent" })).status).toBe(422);
    expect((await as(u).get("/api/market/items?page_size=100")).body.items.filter((i: any) => i.custom)).toEqual([]);
    expect((await as(u).get("/api/market/purchases")).body.total).toBe(0);
    expect(await ledger(u)).toHaveLength(1);
  });
});

describe("market: isolation and effects", () => {
  test("another user's purchases, ledger, rewards and wallet are never visible or touchable", async () => {
    const a = await signup();
    const b = await signup();
    const bought = (await as(a).post("/api/market/purchases", { item_id: CATALOG.coffee })).body.purchase;
    expect((await as(b).get(`/api/market/purchases/${bought.id}`)).status).toBe(404);
    expect((await as(b).post(`/api/market/purchases/${bought.id}/refund`)).status).toBe(404);
    expect((await as(b).post(`/api/market/purchases/not-a-uuid/refund`)).status).toBe(404);
    expect((await as(b).get("/api/market/purchases")).body.total).toBe(0);
    expect((await ledger(b)).map((r) => r.source_type)).toEqual(["welcome"]);
    expect((await wallet(b)).balance).toBe(100);
    expect((await as(b).get("/api/market/rewards")).body.items.every((r: any) => r.earned_at === null)).toBe(true);
    const bFeed = (await as(b).get("/api/sync/changes")).body.changes;
    expect(JSON.stringify(bFeed)).not.toContain(bought.id);
    // Ids are per user: B choosing the same purchase id gets a purchase of its own, not a "replay" of A's.
    const same = await as(b).post("/api/market/purchases", { item_id: CATALOG.stretch, id: bought.id });
    expect(same.status).toBe(201);
    expect(same.body.purchase).toMatchObject({ id: bought.id, item_name: "Stretch break", price: 15 });
    expect((await as(a).get(`/api/market/purchases/${bought.id}`)).body.item_name).toBe("Coffee break");
    await expectConsistent(a);
    await expectConsistent(b);
    // A custom reward's id is global (catalog items have no owner): another user's is refused, not shared.
    const reward = (await as(a).post("/api/market/items", { name: "Mine", price: 5 })).body;
    const taken = await as(b).post("/api/market/items", { id: reward.id, name: "Mine too", price: 5 });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("id_conflict");
    expect((await as(b).post("/api/market/items", { id: CATALOG.forest, name: "x", price: 5 })).status).toBe(409);
    for (const path of ["/api/market/wallet", "/api/market/items", "/api/market/purchases", "/api/market/rewards"])
      expect((await as({ token: "nope" }).get(path)).status, path).toBe(401);
  });

  test("an accent theme can be applied only while owned; a refund turns it off", async () => {
    const u = await signup();
    const refused = await as(u).put("/api/settings", { accent: "forest" });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("not_owned");
    await completeSession(u, 100);
    const theme = (await as(u).post("/api/market/purchases", { item_id: CATALOG.forest })).body.purchase;
    const applied = await as(u).put("/api/settings", { accent: "forest" });
    expect(applied.status).toBe(200);
    expect(applied.body.accent).toBe("forest");
    expect((await as(u).put("/api/settings", { accent: "ocean" })).status).toBe(409);
    expect((await as(u).post(`/api/market/purchases/${theme.id}/refund`)).status).toBe(200);
    expect((await as(u).get("/api/settings")).body.accent).toBeNull();
    expect((await as(u).put("/api/settings", { accent: null })).status).toBe(200);
  });
});
