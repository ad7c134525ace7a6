import { describe, expect, test } from "vitest";
import { as, call, signup } from "../support/api";

describe("idempotency (SPEC §3)", () => {
  test("20 parallel requests with one Idempotency-Key create one record", async () => {
    const u = await signup();
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => as(u).post("/api/user/inbox", { title: "once" }, { "idempotency-key": key })),
    );
    for (const r of results) expect([201, 409]).toContain(r.status);
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe("idempotency_in_progress");
    const list = await as(u).get("/api/user/inbox");
    expect(list.body.total).toBe(1);

    const replay = await as(u).post("/api/user/inbox", { title: "once" }, { "idempotency-key": key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(created[0]!.body);
    expect(replay.headers.get("x-sync-cursor")).toBe(created[0]!.headers.get("x-sync-cursor"));
    expect(
      (await as(u).get("/api/sync/changes")).body.changes.filter((c: any) => c.entity === "inbox_item"),
    ).toHaveLength(1);
  });

  test("reused key with another body → 422; keys are per user; bad key → 400", async () => {
    const u = await signup();
    const other = await signup();
    const key = "same-key";
    expect((await as(u).post("/api/user/inbox", { title: "a" }, { "idempotency-key": key })).status).toBe(201);
    const reused = await as(u).post("/api/user/inbox", { title: "b" }, { "idempotency-key": key });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("idempotency_key_reused");
    expect((await as(other).post("/api/user/inbox", { title: "b" }, { "idempotency-key": key })).status).toBe(201);
    expect((await as(u).post("/api/user/inbox", { title: "c" }, { "idempotency-key": "x".repeat(256) })).status).toBe(
      400,
    );
    expect((await as(u).get("/api/user/inbox")).body.total).toBe(1);
  });

  test("an error response is replayed too (the first response wins)", async () => {
    const u = await signup();
    const key = crypto.randomUUID();
    const path = `/api/user/inbox/${crypto.randomUUID()}`;
    const first = await as(u).put(path, { title: "x" }, { "idempotency-key": key });
    expect(first.status).toBe(404);
    const again = await as(u).put(path, { title: "x" }, { "idempotency-key": key });
    expect(again.status).toBe(404);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  test("a create repeating a client-supplied id returns that record, never a duplicate", async () => {
    const u = await signup();
    const id = crypto.randomUUID();
    const first = await as(u).post("/api/user/inbox", { id, title: "offline capture", tags: ["a"] });
    expect(first.status).toBe(201);
    const again = await as(u).post("/api/user/inbox", { id, title: "offline capture", tags: ["a"] });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const clash = await as(u).post("/api/user/inbox", { id, title: "something else" });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe("id_conflict");
    // Ids are per user: another user's create with this id is simply a new record of theirs.
    const stranger = await signup();
    expect((await as(stranger).post("/api/user/inbox", { id, title: "offline capture", tags: ["a"] })).status).toBe(
      201,
    );
    expect((await as(u).get("/api/user/inbox")).body.total).toBe(1);
  });
});

describe("optimistic concurrency", () => {
  test("parallel updates with the same stale version: one wins, the rest get 409 with the winner", async () => {
    const u = await signup();
    const item = (await as(u).post("/api/user/inbox", { title: "v1" })).body;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        as(u).put(`/api/user/inbox/${item.id}`, { title: `writer ${i}` }, { "if-match": `"${item.version}"` }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(7);
    const winner = winners[0]!.body;
    expect(winner.version).toBe(2);
    for (const l of losers) {
      expect(l.body.error.code).toBe("version_conflict");
      expect(l.body.error.details.current).toEqual(winner);
    }
    expect((await as(u).get(`/api/user/inbox/${item.id}`)).body).toEqual(winner);
    expect(winners[0]!.headers.get("etag")).toBe('"2"');
  });

  test("version in the body works like If-Match; no precondition → last write wins", async () => {
    const u = await signup();
    const item = (await as(u).post("/api/user/inbox", { title: "v1" })).body;
    expect((await as(u).put(`/api/user/inbox/${item.id}`, { title: "v2", version: 1 })).status).toBe(200);
    const stale = await as(u).put(`/api/user/inbox/${item.id}`, { title: "v2b", version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details.current.title).toBe("v2");
    expect((await as(u).put(`/api/user/inbox/${item.id}`, { title: "v3" })).body.version).toBe(3);
    expect((await as(u).del(`/api/user/inbox/${item.id}`, { "if-match": '"2"' })).status).toBe(409);
    expect((await as(u).put(`/api/user/inbox/${item.id}`, { title: "x" }, { "if-match": "garbage" })).status).toBe(400);
    expect((await as(u).del(`/api/user/inbox/${item.id}`, { "if-match": '"3"' })).status).toBe(204);
  });

  test("parallel partial settings updates of different fields lose nothing", async () => {
    const u = await signup();
    await Promise.all([
      as(u).put("/api/settings", { theme: "dark" }),
      as(u).put("/api/settings", { accessibility: { font_scale: 1.5 } }),
      as(u).put("/api/settings", { accessibility: { high_contrast: true } }),
      as(u).put("/api/settings", { sync: { poll_interval_s: 10 } }),
      as(u).put("/api/settings", { ui: { sidebar: "collapsed" } }),
    ]);
    const s = (await as(u).get("/api/settings")).body;
    expect(s).toMatchObject({
      theme: "dark",
      accessibility: { font_scale: 1.5, high_contrast: true, reduced_motion: false },
      sync: { mode: "auto", poll_interval_s: 10 },
      ui: { sidebar: "collapsed" },
      version: 6,
    });
  });
});

describe("a song's own-loops check against a loop delete", () => {
  test("a song naming a loop and that loop's delete, at once: never both (the database orders them)", async () => {
    const u = await signup();
    const outcomes = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const loop = await as(u).post("/api/studio/loops", {
        name: `race ${i}`,
        bars: 2,
        bpm: 96,
        color: "#3366cc",
        chord_progression: ["Am7", "F", "C", "G"],
      });
      expect(loop.status).toBe(201);
      const [song, del] = await Promise.all([
        as(u).post("/api/studio/songs", {
          title: `race ${i}`,
          bpm: 100,
          timeline: [{ loop_id: loop.body.id, start_bar: 0, repeat: 1 }],
        }),
        as(u).del(`/api/studio/loops/${loop.body.id}`),
      ]);
      // Either the song came first (the delete is refused: loop_in_use) or the delete did (422 unknown_loop).
      const outcome = `${song.status}/${del.status}`;
      expect(["201/409", "422/204"], outcome).toContain(outcome);
      outcomes.add(outcome);
      const stored = await as(u).get(`/api/studio/loops/${loop.body.id}`);
      expect(stored.status).toBe(outcome === "201/409" ? 200 : 404);
    }
    // Every song left names only loops that exist.
    const songs = (await as(u).get("/api/studio/songs?page_size=100")).body.items as any[];
    for (const s of songs)
      for (const e of s.timeline) expect((await as(u).get(`/api/studio/loops/${e.loop_id}`)).status).toBe(200);
  });
});

describe("stateless worker", () => {
  test("a token issued in one request is honoured by an unrelated request (state lives in Postgres)", async () => {
    const u = await signup();
    const r = await call("GET", "/api/auth/me", { headers: { authorization: `Bearer ${u.token}` } });
    expect(r.body.user.id).toBe(u.id);
  });
});

const q = (r: { headers: Headers }) => Number(r.headers.get("x-db-queries"));
const conns = (r: { headers: Headers }) => Number(r.headers.get("x-db-connections"));

describe("database round trips (counted by the driver, reported in X-Db-Queries)", () => {
  test("an authenticated read or write is one round trip: the session check travels with its first query", async () => {
    const u = await signup();
    const key = () => ({ "idempotency-key": crypto.randomUUID() });
    // What the web client sends: an Idempotency-Key on every mutation. The
    // check + claim, the write with its change log and outcome: one batch.
    const created = await as(u).post("/api/user/inbox", { title: "count me" }, key());
    expect(created.status).toBe(201);
    const hot = [
      created,
      await as(u).post("/api/user/inbox", { title: "no key" }),
      await as(u).get("/api/user/inbox"),
      await as(u).get(`/api/user/inbox/${created.body.id}`),
      await as(u).put(`/api/user/inbox/${created.body.id}`, { title: "x" }, { ...key(), "if-match": '"1"' }),
      await as(u).put("/api/settings", { theme: "dark" }, key()),
      await as(u).get("/api/settings"),
      await as(u).post("/api/focus/pause", undefined, key()),
      await as(u).post("/api/todos", { title: "count me" }, key()),
      await as(u).del(`/api/user/inbox/${created.body.id}`, key()),
    ];
    for (const [i, r] of hot.entries()) {
      expect(r.status, r.res.url).toBeLessThan(500);
      expect([q(r), conns(r)], `request ${i}: ${r.status} ${JSON.stringify(r.body).slice(0, 60)}`).toEqual([1, 0]);
    }
    // A read that decides what to write (is a session running?) is two.
    expect(q(await as(u).post("/api/focus/sessions", { duration_s: 600 }, key()))).toBeLessThanOrEqual(2);
    // A poll: the feed read travels with the session check, which brings the cursor.
    const feed = await as(u).get("/api/sync/changes");
    expect([feed.status, q(feed), conns(feed)]).toEqual([200, 1, 0]);
    const idle = await as(u).get(`/api/sync/changes?since=${feed.body.cursor}`, {
      "if-none-match": `"${feed.body.cursor}"`,
    });
    expect([idle.status, q(idle), conns(idle)]).toEqual([304, 1, 0]);
  });

  test("an interactive transaction pays the WebSocket connection; nothing runs before the session check", async () => {
    const u = await signup();
    // A market item created with an id of the client's checks the id is free across users, in an
    // interactive transaction (a library delete, then a song with a timeline, were this route's example
    // until each became one statement).
    const item = await as(u).post("/api/market/items", { id: crypto.randomUUID(), name: "tx", price: 5 });
    expect(item.status).toBe(201);
    expect(conns(item)).toBe(1);
    // The song with a timeline: the own-loops check is the database's (a trigger behind the user-row
    // lock), in the write's one statement.
    const loop = await as(u).post("/api/studio/loops", {
      name: "tx",
      bars: 2,
      bpm: 96,
      color: "#3366cc",
      chord_progression: ["Am7", "F", "C", "G"],
    });
    expect(loop.status).toBe(201);
    const timeline = [{ loop_id: loop.body.id, start_bar: 0, repeat: 1 }];
    const song = await as(u).post("/api/studio/songs", { title: "tx", bpm: 100, timeline });
    expect(song.status).toBe(201);
    expect([q(song), conns(song)]).toEqual([1, 0]);
    const other = await signup();
    const forged = `${u.id}.${other.token.split(".")[1]}`; // right user id, someone else's secret
    const refused = await as({ token: forged }).post(
      "/api/user/inbox",
      { title: "forged" },
      { "idempotency-key": "k1" },
    );
    expect(refused.status).toBe(401);
    expect((await as(u).get("/api/user/inbox")).body.items.map((i: { title: string }) => i.title)).not.toContain(
      "forged",
    );
    const refusedTx = await as({ token: forged }).post("/api/market/items", {
      id: crypto.randomUUID(),
      name: "forged",
      price: 5,
    });
    expect([refusedTx.status, conns(refusedTx)]).toEqual([401, 0]);
    const refusedSong = await as({ token: forged }).post("/api/studio/songs", { title: "forged", bpm: 100, timeline });
    expect(refusedSong.status).toBe(401);
    expect((await as(u).get("/api/studio/songs")).body.items.map((x: { title: string }) => x.title)).toEqual(["tx"]);
  });
});
