import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, test, vi } from "vitest";
import worker from "../../workers/index";
import { COUNTER_SLICES, reconcileStudioCounters } from "../../workers/jobs/studio-counters";
import { as, call, lastChangeOf, signup, type TestUser } from "../support/api";
import { openSocket } from "../support/socket";
import { dbRows, openOwnerDb } from "../support/db";

const LOOP = {
  name: "Night drive",
  bars: 2,
  bpm: 96,
  color: "#3366cc",
  chord_progression: ["Am7", "F#dim", "Bb", "C"],
};
const newLoop = async (u: TestUser, extra: Record<string, unknown> = {}) => {
  const r = await as(u).post("/api/studio/loops", { ...LOOP, ...extra });
  expect(r.status).toBe(201);
  return r.body;
};
const publicLoop = (u: TestUser, extra: Record<string, unknown> = {}) =>
  newLoop(u, { visibility: "public", remixable: true, ...extra });

/** The SQLSTATE a statement fails with (drizzle wraps the driver's error in `cause`). */
const sqlState = (q: ReturnType<typeof sql>) =>
  dbRows(q).then(
    () => "ok",
    (e: any) => e.cause?.code ?? e.code,
  );

describe("studio loops: constraints (422, nothing written)", () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ["bars 3", { bars: 3 }],
    ["bpm 39", { bpm: 39 }],
    ["bpm 301", { bpm: 301 }],
    ["bpm fractional", { bpm: 96.5 }],
    ["colour without #", { color: "336699" }],
    ["colour #abc", { color: "#abc" }],
    ["chord H", { chord_progression: ["H"] }],
    ["chord Amaj9", { chord_progression: ["Amaj9"] }],
    ["chord lower-case", { chord_progression: ["am"] }],
    ["more chords than bars × 4", { bars: 1, chord_progression: ["A", "B", "C", "D", "E"] }],
    ["65 icons", { icon_sequence: Array.from({ length: 65 }, () => "🥁") }],
    ["empty name", { name: " " }],
    ["101-char name", { name: "x".repeat(101) }],
    ["visibility", { visibility: "friends" }],
    ["counter set by the client", { likes_count: 5 }],
    ["unknown field", { tempo: 120 }],
  ];
  test.each(bad)("%s → 422", async (_, patch) => {
    const u = await signup();
    const r = await as(u).post("/api/studio/loops", { ...LOOP, ...patch });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("validation_failed");
    expect((await as(u).get("/api/studio/loops")).body.total).toBe(0);
  });

  test("valid chords of every quality are accepted; an update can't break bars × 4 either", async () => {
    const u = await signup();
    const all = ["C", "Cm", "C7", "Cm7", "Cmaj7", "Cdim", "Caug", "Csus2", "Csus4", "F#", "Bb", "Ebm7"];
    const loop = await newLoop(u, { bars: 4, chord_progression: all });
    expect(loop.chord_progression).toEqual(all);
    const shrink = await as(u).put(`/api/studio/loops/${loop.id}`, { bars: 2 });
    expect(shrink.status).toBe(422);
    expect((await as(u).get(`/api/studio/loops/${loop.id}`)).body).toEqual(loop);
  });

  test("the database refuses what slips past zod (CHECKs)", async () => {
    const u = await signup();
    const loop = await newLoop(u);
    for (const set of [
      sql`bars = 3`,
      sql`bpm = 301`,
      sql`color = 'red'`,
      sql`likes_count = -1`,
      sql`plays_count = -1`,
      sql`remixes_count = -1`,
    ])
      expect(await sqlState(sql`update loops set ${set} where id = ${loop.id}`)).toBe("23514");
    const song = (await as(u).post("/api/studio/songs", { title: "S", bpm: 90 })).body;
    expect(await sqlState(sql`update songs set time_signature = '5/4' where id = ${song.id}`)).toBe("23514");
    expect(await sqlState(sql`update songs set bpm = 39 where id = ${song.id}`)).toBe("23514");
    // Likes: the composite primary key refuses a second like row.
    const b = await signup();
    await as(b)
      .put(`/api/studio/loops/${loop.id}/like`)
      .then((r) => expect(r.status).toBe(404)); // private
    await as(u).put(`/api/studio/loops/${loop.id}/like`);
    expect(await sqlState(sql`insert into loop_likes (user_id, loop_id) values (${u.id}, ${loop.id})`)).toBe("23505");
  });
});

describe("studio: owners, public and private", () => {
  test("public loops are readable by others, changeable only by the owner (403); private ones are 404", async () => {
    const a = await signup();
    const b = await signup();
    const pub = await publicLoop(a);
    const priv = await newLoop(a);
    expect((await as(b).get(`/api/studio/loops/${pub.id}`)).body).toEqual(pub);
    const put = await as(b).put(`/api/studio/loops/${pub.id}`, { name: "mine" });
    expect(put.status).toBe(403);
    expect(put.body.error.code).toBe("forbidden");
    expect((await as(b).del(`/api/studio/loops/${pub.id}`)).status).toBe(403);
    for (const r of [
      await as(b).get(`/api/studio/loops/${priv.id}`),
      await as(b).put(`/api/studio/loops/${priv.id}`, { name: "mine" }),
      await as(b).del(`/api/studio/loops/${priv.id}`),
      await as(b).put(`/api/studio/loops/${priv.id}/like`),
      await as(b).post(`/api/studio/loops/${priv.id}/remix`, {}),
      await as(b).get(`/api/studio/loops/${priv.id}/lineage`),
      await as(b).post(`/api/studio/loops/${priv.id}/plays`),
    ])
      expect(r.status).toBe(404);
    expect((await as(a).get(`/api/studio/loops/${pub.id}`)).body.name).toBe(LOOP.name);
    expect((await as(b).get("/api/studio/loops")).body.total).toBe(0);
  });

  test("loop ids are global: a create reusing another user's loop id is 409, and nothing of theirs changes", async () => {
    const a = await signup();
    const b = await signup();
    const theirs = await publicLoop(a);
    const r = await as(b).post("/api/studio/loops", { ...LOOP, id: theirs.id });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("id_conflict");
    expect((await as(b).post(`/api/studio/loops/${theirs.id}/remix`, { id: theirs.id })).status).toBe(409);
    expect((await as(a).get(`/api/studio/loops/${theirs.id}`)).body).toEqual(theirs);
    expect((await as(b).get("/api/studio/loops")).body.total).toBe(0);
  });

  test("stale If-Match → 409 with the current record; a like does not move the version", async () => {
    const a = await signup();
    const b = await signup();
    const loop = await publicLoop(a);
    expect((await as(b).put(`/api/studio/loops/${loop.id}/like`)).body).toEqual({ liked: true, likes_count: 1 });
    const ok = await as(a).put(`/api/studio/loops/${loop.id}`, { bpm: 120 }, { "if-match": '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 2, bpm: 120, likes_count: 1 });
    const stale = await as(a).put(`/api/studio/loops/${loop.id}`, { bpm: 70 }, { "if-match": '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("version_conflict");
    expect(stale.body.error.details.current).toEqual(ok.body);
  });
});

describe("studio likes: counters that never drift", () => {
  test("20 parallel likes by one user → likes_count 1; like/unlike/unlike → 0, never negative", async () => {
    const a = await signup();
    const b = await signup();
    const loop = await publicLoop(a);
    const likes = await Promise.all(Array.from({ length: 20 }, () => as(b).put(`/api/studio/loops/${loop.id}/like`)));
    for (const r of likes) expect(r.status).toBe(200);
    expect((await as(a).get(`/api/studio/loops/${loop.id}`)).body.likes_count).toBe(1);
    expect((await dbRows(sql`select count(*)::int as n from loop_likes where loop_id = ${loop.id}`))[0].n).toBe(1);

    expect((await as(b).del(`/api/studio/loops/${loop.id}/like`)).body).toEqual({ liked: false, likes_count: 0 });
    expect((await as(b).del(`/api/studio/loops/${loop.id}/like`)).body).toEqual({ liked: false, likes_count: 0 });
    expect((await as(b).put(`/api/studio/loops/${loop.id}/like`)).body).toEqual({ liked: true, likes_count: 1 });
    const unlikes = await Promise.all(Array.from({ length: 10 }, () => as(b).del(`/api/studio/loops/${loop.id}/like`)));
    for (const r of unlikes) expect(r.body).toEqual({ liked: false, likes_count: 0 });
    expect((await as(a).get(`/api/studio/loops/${loop.id}`)).body.likes_count).toBe(0);
  });

  test("parallel likes by many users count each once; crossing likes (A↔B) don't deadlock", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => signup()));
    const loops = await Promise.all(users.map((u) => publicLoop(u)));
    // Everyone likes everyone's loop at once: each write locks two users' logs.
    const all = users.flatMap((u) => loops.map((l) => as(u).put(`/api/studio/loops/${l.id}/like`)));
    for (const r of await Promise.all(all)) expect(r.status).toBe(200);
    for (const l of loops) expect((await as(users[0]!).get(`/api/studio/loops/${l.id}`)).body.likes_count).toBe(6);
  });

  test("B's like reaches A's change feed and A's socket (counts only); B's own devices get the like", async () => {
    const a = await signup();
    const b = await signup();
    const loop = await publicLoop(a);
    const aSocket = await openSocket(a.token);
    const bSocket = await openSocket(b.token);
    const aHello = await aSocket.next((m) => m.type === "hello");
    await bSocket.next((m) => m.type === "hello");

    const liked = await as(b).put(`/api/studio/loops/${loop.id}/like`);
    expect(liked.body).toEqual({ liked: true, likes_count: 1 });
    const toA = await aSocket.next((m) => m.type === "changes");
    expect(toA.prev).toBe(aHello.cursor);
    expect(toA.changes).toEqual([
      expect.objectContaining({
        entity: "loop",
        id: loop.id,
        op: "upsert",
        version: 1,
        data: { ...loop, likes_count: 1 },
      }),
    ]);
    const aFeed = (await as(a).get(`/api/sync/changes?since=${aHello.cursor}`)).body.changes;
    expect(aFeed.map((c: any) => [c.entity, c.id, c.data.likes_count])).toEqual([["loop", loop.id, 1]]);
    // Nothing else of B's: no like record, no B ids in A's log.
    expect(JSON.stringify(aFeed)).not.toContain(b.id);

    const toB = await bSocket.next((m) => m.type === "changes");
    expect(toB.cursor).toBe(liked.headers.get("x-sync-cursor"));
    expect(toB.changes).toEqual([
      expect.objectContaining({
        entity: "loop_like",
        id: loop.id,
        op: "upsert",
        data: expect.objectContaining({ loop_id: loop.id }),
      }),
    ]);
    await as(b).del(`/api/studio/loops/${loop.id}/like`);
    expect((await aSocket.next((m) => m.type === "changes")).changes[0].data.likes_count).toBe(0);
    expect((await bSocket.next((m) => m.type === "changes")).changes[0]).toMatchObject({
      entity: "loop_like",
      op: "delete",
    });
    // A repeated unlike changes nothing: no message to anyone. Each user's next
    // own write is relayed after it, so it is the only message each socket gets.
    await as(b).del(`/api/studio/loops/${loop.id}/like`);
    for (const [user, socket] of [
      [a, aSocket],
      [b, bSocket],
    ] as const) {
      const mine = (await as(user).post("/api/user/inbox", { title: "sentinel" })).body.id;
      const got = await socket.upTo((m) => m.type === "changes" && m.changes.some((c: any) => c.id === mine));
      expect(got.map((m) => m.changes.map((c: any) => c.entity))).toEqual([["inbox_item"]]);
    }
    aSocket.close();
    bSocket.close();
  });
});

describe("studio remix and lineage", () => {
  test("own, public+remixable → 201; non-remixable or private → 404; the parent's remixes_count rises", async () => {
    const a = await signup();
    const b = await signup();
    const open = await publicLoop(a);
    const closed = await publicLoop(a, { remixable: false });
    const priv = await newLoop(a);
    const r = await as(b).post(`/api/studio/loops/${open.id}/remix`, {});
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      parent_loop_id: open.id,
      owner: { id: b.id, username: b.username },
      visibility: "private",
      bars: open.bars,
      bpm: open.bpm,
      color: open.color,
      chord_progression: open.chord_progression,
      likes_count: 0,
    });
    expect((await as(b).post(`/api/studio/loops/${closed.id}/remix`, {})).status).toBe(404);
    expect((await as(b).post(`/api/studio/loops/${priv.id}/remix`, {})).status).toBe(404);
    expect((await as(a).post(`/api/studio/loops/${priv.id}/remix`, {})).status).toBe(201); // own: always
    expect((await as(a).get(`/api/studio/loops/${open.id}`)).body.remixes_count).toBe(1);
    expect((await as(a).get(`/api/studio/loops/${priv.id}`)).body.remixes_count).toBe(1);
    // A retried remix with the same client id makes one loop and counts once.
    const id = crypto.randomUUID();
    expect((await as(b).post(`/api/studio/loops/${open.id}/remix`, { id })).status).toBe(201);
    expect((await as(b).post(`/api/studio/loops/${open.id}/remix`, { id })).status).toBe(200);
    expect((await as(a).get(`/api/studio/loops/${open.id}`)).body.remixes_count).toBe(2);
  });

  test("lineage of a remix of a remix lists ancestors oldest first; deleting a parent leaves remixes standing", async () => {
    const a = await signup();
    const b = await signup();
    const c = await signup();
    const root = await publicLoop(a);
    const mid = (await as(b).post(`/api/studio/loops/${root.id}/remix`, { name: "mid" })).body;
    await as(b).put(`/api/studio/loops/${mid.id}`, { visibility: "public", remixable: true });
    const leaf = (await as(c).post(`/api/studio/loops/${mid.id}/remix`, { name: "leaf" })).body;
    const lineage = await as(c).get(`/api/studio/loops/${leaf.id}/lineage`);
    expect(lineage.body.items.map((l: any) => [l.id, l.owner.username])).toEqual([
      [root.id, a.username],
      [mid.id, b.username],
    ]);
    expect((await as(a).get(`/api/studio/loops/${root.id}/lineage`)).body.items).toEqual([]);

    const aSocket = await openSocket(a.token);
    await aSocket.next((m) => m.type === "hello");
    expect((await as(b).del(`/api/studio/loops/${mid.id}`)).status).toBe(204);
    // A's root lost a remix: A's devices see the count drop.
    const drop = await aSocket.next((m) => m.type === "changes");
    expect(drop.changes[0]).toMatchObject({ entity: "loop", id: root.id, data: { remixes_count: 0 } });
    aSocket.close();
    // C's remix lost its parent: C's change feed says so.
    const cFeed = (await as(c).get("/api/sync/changes")).body.changes.filter((x: any) => x.id === leaf.id);
    expect(cFeed.at(-1).data.parent_loop_id).toBeNull();
    const orphan = await as(c).get(`/api/studio/loops/${leaf.id}`);
    expect(orphan.status).toBe(200);
    expect(orphan.body.parent_loop_id).toBeNull();
    expect((await as(c).get(`/api/studio/loops/${leaf.id}/lineage`)).body.items).toEqual([]);
  });

  test("B's remix reaches A's socket as a new remixes_count; B's devices get the new loop", async () => {
    const a = await signup();
    const b = await signup();
    const loop = await publicLoop(a);
    const aSocket = await openSocket(a.token);
    await aSocket.next((m) => m.type === "hello");
    const r = await as(b).post(`/api/studio/loops/${loop.id}/remix`, {});
    const m = await aSocket.next((x) => x.type === "changes");
    expect(m.changes).toEqual([
      expect.objectContaining({ entity: "loop", id: loop.id, data: { ...loop, remixes_count: 1 } }),
    ]);
    expect(JSON.stringify(m)).not.toContain(r.body.id);
    const bFeed = (await as(b).get("/api/sync/changes")).body.changes;
    expect(bFeed.filter((x: any) => x.entity === "loop").map((x: any) => x.id)).toEqual([r.body.id]);
    aSocket.close();
  });
});

describe("studio feed", () => {
  test("public loops only, newest first; pages have no duplicates or gaps while loops arrive", async () => {
    const a = await signup();
    const b = await signup();
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await publicLoop(a, { name: `p${i}` })).id);
    const hidden = await newLoop(a, { name: "private" });
    const seen: string[] = [];
    let cursor: string | null = null;
    let arrivals = 0;
    do {
      const page: any = await as(b).get(`/api/studio/feed?sort=new&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      for (const item of page.body.items) expect(item.visibility).toBe("public");
      seen.push(...page.body.items.map((l: any) => l.id));
      cursor = page.body.next_cursor;
      if (arrivals++ < 2) await publicLoop(a, { name: "arrived meanwhile" }); // lands before the cursor
    } while (cursor && seen.length < 200);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).not.toContain(hidden.id);
    // Our five, in newest-first order, with nothing of them missing.
    expect(seen.filter((id) => mine.includes(id))).toEqual([...mine].reverse());
  });

  test("top ranks by likes with a time decay; liked and remix_of are per caller; bad cursor → 400", async () => {
    const a = await signup();
    const b = await signup();
    const older = await publicLoop(a, { name: "older, liked" });
    const newer = await publicLoop(a, { name: "newer" });
    // Backdate the liked one by 5 days: e^(5 d / 12.5 h) ≫ 2 likes, so recency wins.
    await dbRows(sql`update loops set created_at = now() - interval '5 days' where id = ${older.id}`);
    await as(b).put(`/api/studio/loops/${older.id}/like`);
    await as(a).put(`/api/studio/loops/${older.id}/like`);
    const remix = (await as(b).post(`/api/studio/loops/${newer.id}/remix`, {})).body;
    await as(b).put(`/api/studio/loops/${remix.id}`, { visibility: "public" });

    const top = (await as(b).get("/api/studio/feed?sort=top&limit=100")).body.items;
    const ids = top.map((l: any) => l.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    expect(top.find((l: any) => l.id === older.id)).toMatchObject({ liked: true, likes_count: 2 });
    expect(top.find((l: any) => l.id === newer.id).liked).toBe(false);
    expect(top.find((l: any) => l.id === remix.id).remix_of).toEqual({
      loop_id: newer.id,
      owner: { id: a.id, username: a.username },
    });
    // Same age, more likes ranks higher.
    const fresh1 = await publicLoop(b, { name: "fresh, 1 like" });
    const fresh0 = await publicLoop(b, { name: "fresh, 0 likes" });
    await dbRows(sql`update loops set created_at = now() where id in (${fresh1.id}, ${fresh0.id})`);
    await as(a).put(`/api/studio/loops/${fresh1.id}/like`);
    const ranked = (await as(a).get("/api/studio/feed?sort=top&limit=100")).body.items.map((l: any) => l.id);
    expect(ranked.indexOf(fresh1.id)).toBeLessThan(ranked.indexOf(fresh0.id));

    for (const q of ["sort=hot", "limit=0", "limit=101", "cursor=%%%", "cursor=abc"])
      expect((await as(a).get(`/api/studio/feed?${q}`)).status).toBe(400);
    const newCursor = (await as(a).get("/api/studio/feed?sort=new&limit=1")).body.next_cursor;
    expect((await as(a).get(`/api/studio/feed?sort=top&cursor=${newCursor}`)).status).toBe(400);
  });
});

describe("studio songs", () => {
  test("a timeline with a foreign loop → 422; an own loop in a song can't be deleted (409 loop_in_use)", async () => {
    const a = await signup();
    const b = await signup();
    const own = await newLoop(a);
    const foreign = await publicLoop(b);
    const bad = await as(a).post("/api/studio/songs", {
      title: "Mix",
      bpm: 100,
      timeline: [
        { loop_id: own.id, start_bar: 0, repeat: 2 },
        { loop_id: foreign.id, start_bar: 4, repeat: 1 },
      ],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "timeline.1.loop_id" })]);
    expect((await as(a).get("/api/studio/songs")).body.total).toBe(0);
    for (const t of [
      [{ loop_id: own.id, start_bar: -1, repeat: 1 }],
      [{ loop_id: own.id, start_bar: 0, repeat: 0 }],
      [{ loop_id: own.id, start_bar: 0, repeat: 65 }],
      Array.from({ length: 257 }, (_, i) => ({ loop_id: own.id, start_bar: i, repeat: 1 })),
    ])
      expect((await as(a).post("/api/studio/songs", { title: "x", bpm: 100, timeline: t })).status).toBe(422);
    expect((await as(a).post("/api/studio/songs", { title: "x", bpm: 100, time_signature: "5/4" })).status).toBe(422);

    const song = await as(a).post("/api/studio/songs", {
      title: "Mix",
      bpm: 100,
      time_signature: "3/4",
      timeline: [{ loop_id: own.id, start_bar: 0, repeat: 2 }],
    });
    expect(song.status).toBe(201);
    const inUse = await as(a).del(`/api/studio/loops/${own.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error).toMatchObject({ code: "loop_in_use", details: { songs: [song.body.id] } });
    expect(
      (
        await as(a).put(`/api/studio/songs/${song.body.id}`, {
          timeline: [{ loop_id: foreign.id, start_bar: 0, repeat: 1 }],
        })
      ).status,
    ).toBe(422);
    expect((await as(a).put(`/api/studio/songs/${song.body.id}`, { timeline: [] })).status).toBe(200);
    expect((await as(a).del(`/api/studio/loops/${own.id}`)).status).toBe(204);
    expect((await as(b).get(`/api/studio/songs/${song.body.id}`)).status).toBe(404);
  });

  test("a song save racing a loop delete: never a song pointing at a deleted loop", async () => {
    const a = await signup();
    for (let i = 0; i < 5; i++) {
      const loop = await newLoop(a);
      const [song, del] = await Promise.all([
        as(a).post("/api/studio/songs", {
          title: "race",
          bpm: 90,
          timeline: [{ loop_id: loop.id, start_bar: 0, repeat: 1 }],
        }),
        as(a).del(`/api/studio/loops/${loop.id}`),
      ]);
      // Exactly one wins.
      expect([song.status, del.status].sort()).toEqual(song.status === 201 ? [201, 409] : [204, 422]);
    }
  });
});

describe("studio plays through the queue; counters reconciled by the cron job", () => {
  test("POST plays → 202; the queue consumer raises plays_count", async () => {
    const a = await signup();
    const b = await signup();
    const loop = await publicLoop(a);
    const aSocket = await openSocket(a.token);
    await aSocket.next((m) => m.type === "hello");
    for (let i = 0; i < 3; i++) {
      const r = await as(b).post(`/api/studio/loops/${loop.id}/plays`);
      expect(r.status).toBe(202);
    }
    // The real local queue delivers a batch after max_batch_timeout.
    await vi.waitFor(async () => expect((await as(a).get(`/api/studio/loops/${loop.id}`)).body.plays_count).toBe(3), {
      timeout: 15_000,
      interval: 200,
    });
    // The owner's devices got the new count (in one batch or several), version unchanged.
    const seen = await aSocket.next(
      (m) => m.type === "changes" && m.changes.some((c: any) => c.data?.plays_count === 3),
    );
    expect(seen.changes.at(-1)).toMatchObject({ entity: "loop", id: loop.id, version: 1 });
    aSocket.close();
  });

  test("a redelivered batch counts each play once; plays of a deleted loop drop out", async () => {
    const a = await signup();
    const loop = await newLoop(a);
    const gone = await newLoop(a);
    await as(a).del(`/api/studio/loops/${gone.id}`);
    const play = { play_id: crypto.randomUUID(), loop_id: loop.id, user_id: a.id };
    const messages = [play, play, { play_id: crypto.randomUUID(), loop_id: gone.id, user_id: a.id }].map((body, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    }));
    for (let round = 0; round < 2; round++) {
      const batch = createMessageBatch("continuum-studio-plays", messages);
      const ctx = createExecutionContext();
      await worker.queue!(batch as any, env as any, ctx);
      expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    }
    expect((await as(a).get(`/api/studio/loops/${loop.id}`)).body.plays_count).toBe(1);
  });

  test("the reconcile job sets every counter back to COUNT(*) and reports the drift it fixed", async () => {
    const a = await signup();
    const b = await signup();
    const loop = await publicLoop(a);
    await as(b).put(`/api/studio/loops/${loop.id}/like`);
    await as(b).post(`/api/studio/loops/${loop.id}/remix`, {});
    await dbRows(sql`update loops set likes_count = 7, remixes_count = 0, plays_count = 3 where id = ${loop.id}`);
    const before = (await as(a).get(`/api/studio/loops/${loop.id}`)).body.version;
    const handle = openOwnerDb();
    const drift = await reconcileStudioCounters(handle.db, { userId: a.id }); // only this test's loops
    await handle.close();
    expect(drift).toEqual([{ loop_id: loop.id, likes: [7, 1], plays: [3, 0], remixes: [0, 1] }]);
    // The cron's hourly slice: only the loop's own id range (its first hex digit) finds it.
    const own = parseInt(loop.id[0], 16);
    await dbRows(sql`update loops set likes_count = 5 where id = ${loop.id}`);
    const other = openOwnerDb();
    expect(await reconcileStudioCounters(other.db, { userId: a.id, slice: (own + 1) % COUNTER_SLICES })).toEqual([]);
    expect(await reconcileStudioCounters(other.db, { userId: a.id, slice: own })).toEqual([
      { loop_id: loop.id, likes: [5, 1], plays: [0, 0], remixes: [1, 1] },
    ]);
    await other.close();
    const now = (await as(a).get(`/api/studio/loops/${loop.id}`)).body;
    expect(now).toMatchObject({ likes_count: 1, plays_count: 0, remixes_count: 1 });
    // Each fix is a new version in the owner's change log: devices holding the wrong count get the right one.
    expect(await lastChangeOf(a, "loop")).toMatchObject({
      id: loop.id,
      op: "upsert",
      version: now.version,
      data: { likes_count: 1, plays_count: 0, remixes_count: 1 },
    });
    expect(now.version).toBe(before + 2); // two runs fixed it
  });
});

describe("studio in the OpenAPI document", () => {
  test("every studio route is documented", async () => {
    const doc = (await call("GET", "/api/openapi.json")).body;
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    for (const op of [
      "GET /api/studio/loops",
      "POST /api/studio/loops",
      "GET /api/studio/loops/{id}",
      "PUT /api/studio/loops/{id}",
      "DELETE /api/studio/loops/{id}",
      "POST /api/studio/loops/{id}/remix",
      "GET /api/studio/loops/{id}/lineage",
      "PUT /api/studio/loops/{id}/like",
      "DELETE /api/studio/loops/{id}/like",
      "POST /api/studio/loops/{id}/plays",
      "GET /api/studio/feed",
      "GET /api/studio/songs",
      "POST /api/studio/songs",
      "GET /api/studio/songs/{id}",
      "PUT /api/studio/songs/{id}",
      "DELETE /api/studio/songs/{id}",
    ])
      expect(ops).toContain(op);
  });
});
