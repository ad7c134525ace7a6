/**
 * Rates (issue #21, README "Limits"): writes into another user's change log
 * are rate limited and collapse (a like/unlike storm leaves one entry per
 * loop), plays per (user, loop), and login limits that stop one address trying
 * many accounts without letting a stranger lock the owner out.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, freshRateLimitWindow, signup, unique } from "../support/api";
import { openSocket } from "../support/socket";
import { dbRows } from "../support/db";

beforeAll(() => call("GET", "/api/health"), 120_000);

const LOOP = { name: "Loop", bars: 1, bpm: 90, color: "#112233", chord_progression: ["C"], visibility: "public" };

describe("likes, remixes and plays reaching another user's log", () => {
  test("a like/unlike storm leaves one entry for the loop in the owner's log (and one like entry in the liker's)", async () => {
    const [owner, fan] = await Promise.all([signup(), signup()]);
    const loop = (await as(owner).post("/api/studio/loops", { ...LOOP, remixable: true })).body;
    for (let i = 0; i < 30; i++)
      expect((await (i % 2 ? as(fan).del : as(fan).put)(`/api/studio/loops/${loop.id}/like`)).status).toBe(200);
    const ownerLog = await dbRows(
      sql`select op from change_log where user_id = ${owner.id} and entity = 'loop' and record_id = ${loop.id}`,
    );
    expect(ownerLog).toHaveLength(1);
    const fanLog = await dbRows(
      sql`select op from change_log where user_id = ${fan.id} and entity = 'loop_like' and record_id = ${loop.id}`,
    );
    expect(fanLog).toEqual([{ op: "delete" }]);
    // The pull from the start is still a complete, current snapshot for both.
    const feed = (await as(owner).get("/api/sync/changes")).body.changes as any[];
    expect(feed.filter((ch) => ch.id === loop.id)).toEqual([
      expect.objectContaining({ entity: "loop", op: "upsert", data: expect.objectContaining({ likes_count: 0 }) }),
    ]);
    // Remixes collapse alike: two remixes, one entry for the parent in its owner's log.
    for (let i = 0; i < 2; i++) expect((await as(fan).post(`/api/studio/loops/${loop.id}/remix`, {})).status).toBe(201);
    const after = await dbRows(
      sql`select count(*)::int as n from change_log where user_id = ${owner.id} and record_id = ${loop.id}`,
    );
    expect(after[0]!.n).toBe(1);
  });

  test(
    "a storm on one owner's loop is 429 for that owner only: the actor still reaches others, the owner's own writes go on, one log entry",
    { timeout: 120_000 },
    async () => {
      const [owner, fan, other] = await Promise.all([signup(), signup(), signup()]);
      const loop = (await as(owner).post("/api/studio/loops", { ...LOOP, remixable: true })).body;
      const elsewhere = (await as(other).post("/api/studio/loops", { ...LOOP, remixable: true })).body;
      await freshRateLimitWindow(40_000);
      let first429: any;
      for (let i = 0; i < 61 && !first429; i++) {
        const r = await (i % 2 ? as(fan).del : as(fan).put)(`/api/studio/loops/${loop.id}/like`);
        if (r.status === 429) first429 = { i, r };
        else expect(r.status).toBe(200);
      }
      expect(first429?.i).toBe(60);
      expect(first429.r.headers.get("retry-after")).toBe("60");
      expect(first429.r.body.error).toMatchObject({
        code: "rate_limited",
        message: expect.stringMatching(/this user/),
      });
      // The storm left one entry for the loop in the owner's log.
      const log = await dbRows(
        sql`select count(*)::int as n from change_log where user_id = ${owner.id} and record_id = ${loop.id}`,
      );
      expect(log[0]!.n).toBe(1);
      // Every write reaching this owner is refused now: a remix and a play too.
      expect((await as(fan).post(`/api/studio/loops/${loop.id}/remix`, {})).status).toBe(429);
      expect((await as(fan).post(`/api/studio/loops/${loop.id}/plays`)).status).toBe(429);
      // The fan still acts on another owner's loop.
      expect((await as(fan).put(`/api/studio/loops/${elsewhere.id}/like`)).status).toBe(200);
      expect((await as(fan).post(`/api/studio/loops/${elsewhere.id}/remix`, {})).status).toBe(201);
      // The owner's own writes are not the fan's budget: liking, playing and editing their loop go on.
      expect((await as(owner).put(`/api/studio/loops/${loop.id}/like`)).status).toBe(200);
      expect((await as(owner).post(`/api/studio/loops/${loop.id}/plays`)).status).toBe(202);
      expect((await as(owner).put(`/api/studio/loops/${loop.id}`, { name: "Mine" })).status).toBe(200);
      expect((await as(owner).put(`/api/studio/loops/${elsewhere.id}/like`)).status).toBe(200);
    },
  );

  test(
    "across owners, one actor's likes past 120 a minute are 429 with Retry-After",
    { timeout: 120_000 },
    async () => {
      const owners = await Promise.all([signup(), signup(), signup()]);
      const fan = await signup();
      const loops = await Promise.all(owners.map(async (o) => (await as(o).post("/api/studio/loops", LOOP)).body));
      await freshRateLimitWindow(40_000);
      let first429: any;
      for (let i = 0; i < 121 && !first429; i++) {
        // 40 per owner: under the per-owner 60, so the 121st is the actor's own budget.
        const r = await as(fan).put(`/api/studio/loops/${loops[i % 3].id}/like`);
        if (r.status === 429) first429 = { i, r };
        else expect(r.status).toBe(200);
      }
      expect(first429?.i).toBe(120);
      expect(first429.r.headers.get("retry-after")).toBe("60");
      expect(first429.r.body.error).toMatchObject({
        code: "rate_limited",
        message: expect.stringMatching(/other people/),
      });
    },
  );

  test("plays: at most 10 a minute per user and loop", async () => {
    const [owner, fan] = await Promise.all([signup(), signup()]);
    const loop = (await as(owner).post("/api/studio/loops", LOOP)).body;
    const other = (await as(owner).post("/api/studio/loops", LOOP)).body;
    await freshRateLimitWindow(15_000);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await as(fan).post(`/api/studio/loops/${loop.id}/plays`)).status);
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
    // Another loop (or another listener) has its own budget.
    expect((await as(fan).post(`/api/studio/loops/${other.id}/plays`)).status).toBe(202);
    expect((await as(owner).post(`/api/studio/loops/${loop.id}/plays`)).status).toBe(202);
  });
});

describe("login limits", () => {
  const attempt = (login: string, password: string, headers: Record<string, string>) =>
    call("POST", "/api/auth/login", { json: { login, password }, headers });

  test("one address trying passwords across many accounts is stopped after 60 attempts a minute", async () => {
    const ip = { "cf-connecting-ip": "198.18.7.7" };
    await freshRateLimitWindow(30_000);
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await attempt(unique("victim"), "wrong password!", ip)).status);
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(statuses[60]).toBe(429);
  });

  test("a stranger exhausting an account's budget can't lock the owner out of a device they used before", async () => {
    const u = await signup();
    await freshRateLimitWindow(25_000);
    // The owner signs in once on their laptop (1 of the account's 30 a minute): now a known device.
    const laptop = await attempt(u.username, u.password, { "cf-connecting-ip": "192.0.2.10" });
    expect(laptop.status).toBe(200);
    const cookie = /known_device=[^;]+/.exec(laptop.headers.get("set-cookie") ?? "")?.[0];
    expect(cookie).toBeDefined();
    for (let i = 0; i < 29; i++)
      expect((await attempt(u.username, "wrong password!", { "cf-connecting-ip": `10.77.${i}.1` })).status).toBe(401);
    // The account's budget is spent: a new device is refused, even with the right password…
    expect((await attempt(u.username, u.password, { "cf-connecting-ip": "192.0.2.11" })).status).toBe(429);
    // …the owner's laptop is not.
    const again = await attempt(u.username, u.password, { "cf-connecting-ip": "192.0.2.10", cookie: cookie! });
    expect(again.status).toBe(200);
    // A forged or foreign cookie is no exemption.
    const forged = `known_device=${u.id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    expect((await attempt(u.username, u.password, { "cf-connecting-ip": "192.0.2.12", cookie: forged })).status).toBe(
      429,
    );
  });
});

describe("assistant runs and sockets", () => {
  test(
    "at most 3 runs at once per user (429); 20 runs a minute (429 with Retry-After)",
    { timeout: 120_000 },
    async () => {
      const u = await signup();
      const convs = [];
      for (let i = 0; i < 4; i++) convs.push((await as(u).post("/api/assistant/conversations", {})).body.id as string);
      // Three runs going (their leases live): a fourth is refused, and nothing is written for it.
      await dbRows(sql`update conversations set status = 'running', run_id = gen_random_uuid(),
      lease_until = now() + interval '1 minute' where id in (${sql.join(
        convs.slice(0, 3).map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`);
      const busy = await as(u).post(`/api/assistant/conversations/${convs[3]}/actions/send_message`, {
        content: "list todos",
      });
      expect(busy.status).toBe(429);
      expect(busy.body.error).toMatchObject({ code: "rate_limited", details: { limit: 3 } });
      expect((await as(u).get(`/api/assistant/conversations/${convs[3]}/state`)).body.messages).toEqual([]);
      // A run whose lease ran out no longer counts.
      await dbRows(sql`update conversations set lease_until = now() - interval '1 second' where id = ${convs[0]!}`);
      expect(
        (await as(u).post(`/api/assistant/conversations/${convs[3]}/actions/send_message`, { content: "list todos" }))
          .status,
      ).toBe(200);

      const v = await signup();
      const conv = (await as(v).post("/api/assistant/conversations", {})).body.id as string;
      await freshRateLimitWindow(60_000 * 0.75);
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++)
        statuses.push(
          (await as(v).post(`/api/assistant/conversations/${conv}/actions/send_message`, { content: "list todos" }))
            .status,
        );
      expect(statuses).toEqual([...Array(20).fill(200), 429]);
    },
  );

  test("a tool result going back to the model is cut to 8 000 characters of JSON", async () => {
    const { trimToolResult, TOOL_RESULT_CHARS } = await import("../../workers/assistant/run");
    const big = { items: Array.from({ length: 50 }, (_, i) => ({ id: i, content: "x".repeat(2_000) })), total: 50 };
    const cut = trimToolResult(big) as any;
    expect(JSON.stringify(cut).length).toBeLessThanOrEqual(TOOL_RESULT_CHARS);
    expect(cut).toMatchObject({ truncated: true, total: 50 });
    expect(cut.items.length + cut.omitted_items).toBe(50);
    expect(cut.items[0]).toEqual(big.items[0]);
    const blob = trimToolResult({ text: "y".repeat(50_000) }) as any;
    expect(JSON.stringify(blob).length).toBeLessThanOrEqual(TOOL_RESULT_CHARS);
    expect(blob.truncated).toBe(true);
    const small = { items: [{ id: 1 }], total: 1 };
    expect(trimToolResult(small)).toBe(small);
  });

  test("at most 20 live sockets per user: the 21st upgrade is 429, other users unaffected", async () => {
    const u = await signup();
    const sockets = [];
    try {
      for (let i = 0; i < 20; i++) {
        const s = await openSocket(u.token);
        await s.next((m) => m.type === "hello");
        sockets.push(s);
      }
      await expect(openSocket(u.token)).rejects.toThrow(/429/);
      const other = await signup();
      const theirs = await openSocket(other.token);
      await theirs.next((m) => m.type === "hello");
      theirs.close();
    } finally {
      for (const s of sockets) s.close();
    }
  });
});

describe("byte caps", () => {
  test(
    "the change feed pages by bytes as well as rows, and has_more stays truthful",
    { timeout: 120_000 },
    async () => {
      const u = await signup();
      const ids: string[] = [];
      for (let i = 0; i < 14; i++) {
        const r = await as(u).post("/api/references", { title: `big ${i}`, content: `${i} ${"x".repeat(99_000)}` });
        expect(r.status).toBe(201);
        ids.push(r.body.id);
      }
      const seen: string[] = [];
      let since = "0";
      let pages = 0;
      for (;;) {
        const r = await as(u).get(`/api/sync/changes?since=${since}&limit=1000`);
        expect(r.status).toBe(200);
        pages++;
        const bytes = JSON.stringify(r.body.changes).length;
        if (r.body.changes.length > 1) expect(bytes).toBeLessThanOrEqual(1_100_000);
        seen.push(...r.body.changes.filter((ch: any) => ch.entity === "reference").map((ch: any) => ch.id));
        since = r.body.cursor;
        if (!r.body.has_more) break;
        expect(r.body.changes.length).toBeGreaterThan(0);
      }
      expect(pages).toBeGreaterThan(1);
      expect(seen).toEqual(ids);
    },
  );
});
