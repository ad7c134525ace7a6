import { describe, expect, test } from "vitest";
import { pruneChangeLog } from "../../workers/jobs/prune";
import { as, SIGNUP_ENTITIES, signup } from "../support/api";
import { openSocket } from "../support/socket";
import { openOwnerDb } from "../support/db";

/** B makes a write of its own; returns a matcher for the socket message that carries it. */
async function bOwnWrite(b: { token: string }, title: string) {
  const r = await as(b).post("/api/user/inbox", { title });
  expect(r.status).toBe(201);
  return (m: any) => m.type === "changes" && m.changes.some((c: any) => c.id === r.body.id);
}

describe("live sync over the user's Durable Object", () => {
  test("both sockets of A get a change made over HTTP; B's socket gets nothing; B can't touch A's ids", async () => {
    const a = await signup();
    const b = await signup();
    const a1 = await openSocket(a.token, "a-desktop");
    const a2 = await openSocket(a.token, "a-phone");
    const b1 = await openSocket(b.token);
    const hello = await a1.next((m) => m.type === "hello");
    await a2.next((m) => m.type === "hello");
    const bHello = await b1.next((m) => m.type === "hello");

    const created = await as(a).post("/api/user/inbox", { title: "buy milk #errands" }, { "x-client-id": "a-desktop" });
    expect(created.status).toBe(201);
    const cursor = created.headers.get("x-sync-cursor");
    for (const s of [a1, a2]) {
      const m = await s.next((x) => x.type === "changes");
      expect(m.prev).toBe(hello.cursor);
      expect(m.cursor).toBe(cursor);
      expect(m.changes).toEqual([
        expect.objectContaining({
          entity: "inbox_item",
          id: created.body.id,
          op: "upsert",
          version: 1,
          data: created.body,
        }),
      ]);
    }
    // B's own write is relayed after A's: had A's change leaked to B, it would come first.
    const bSentinel = await bOwnWrite(b, "b sentinel 1");
    const first = await b1.upTo(bSentinel);
    expect(first).toEqual([expect.objectContaining({ type: "changes", prev: bHello.cursor })]);

    const id = created.body.id;
    expect((await as(b).get(`/api/user/inbox/${id}`)).status).toBe(404);
    expect((await as(b).put(`/api/user/inbox/${id}`, { title: "mine now" })).status).toBe(404);
    expect((await as(b).del(`/api/user/inbox/${id}`)).status).toBe(404);
    expect((await as(a).get(`/api/user/inbox/${id}`)).body.title).toBe("buy milk #errands");
    // B's refused attempts wrote nothing to anyone's log: B's next write is the only message.
    const bSentinel2 = await bOwnWrite(b, "b sentinel 2");
    expect(await b1.upTo(bSentinel2)).toEqual([expect.objectContaining({ type: "changes", prev: first[0].cursor })]);
    for (const s of [a1, a2, b1]) s.close();
  });

  test("ping is answered with pong", async () => {
    const u = await signup();
    const s = await openSocket(u.token);
    await s.next((m) => m.type === "hello");
    s.send(JSON.stringify({ type: "ping" }));
    expect(await s.next((m) => m.type === "pong")).toEqual({ type: "pong" });
    s.close();
  });

  test("a socket that missed messages catches up exactly by cursor", async () => {
    const u = await signup();
    const s = await openSocket(u.token);
    const { cursor } = await s.next((m) => m.type === "hello");
    s.close();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await as(u).post("/api/user/inbox", { title: `item ${i}` })).body.id);
    await as(u).put(`/api/user/inbox/${ids[0]}`, { title: "item 0 edited" });
    await as(u).del(`/api/user/inbox/${ids[1]}`);

    const again = await openSocket(u.token);
    const hello = await again.next((m) => m.type === "hello");
    expect(Number(hello.cursor)).toBeGreaterThan(Number(cursor));
    const seen: any[] = [];
    let since = cursor;
    for (;;) {
      const page = await as(u).get(`/api/sync/changes?since=${since}&limit=3`);
      expect(page.status).toBe(200);
      seen.push(...page.body.changes);
      since = page.body.cursor;
      if (!page.body.has_more) break;
    }
    expect(since).toBe(hello.cursor);
    expect(seen.map((c) => [c.id, c.op, c.version])).toEqual([
      ...ids.map((id) => [id, "upsert", 1]),
      [ids[0], "upsert", 2],
      [ids[1], "delete", 2],
    ]);
    const cursors = seen.map((c) => Number(c.cursor));
    expect(new Set(cursors).size).toBe(cursors.length);
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    again.close();
  });

  test("idle poll with If-None-Match → 304; bad cursor → 400; expired cursor → 410", async () => {
    const u = await signup();
    const first = await as(u).get("/api/sync/changes");
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toBe(`"${first.body.cursor}"`);
    const idle = await as(u).get(`/api/sync/changes?since=${first.body.cursor}`, { "if-none-match": etag });
    expect(idle.status).toBe(304);
    expect(idle.res.body).toBeNull();
    expect(Number(idle.headers.get("x-db-queries"))).toBeLessThanOrEqual(1);

    expect((await as(u).get("/api/sync/changes?since=abc")).status).toBe(400);
    expect((await as(u).get("/api/sync/changes?limit=0")).status).toBe(400);

    const item = (await as(u).post("/api/user/inbox", { title: "to be deleted" })).body;
    const before = (await as(u).get("/api/sync/changes")).body.cursor;
    await as(u).del(`/api/user/inbox/${item.id}`);
    const stale = first.body.cursor; // before the create + delete
    // Retention 0 days, run "tomorrow": the tombstone is pruned, the floor rises.
    const handle = openOwnerDb();
    await pruneChangeLog(handle.db, 0, { now: new Date(Date.now() + 86_400_000), userId: u.id });
    await handle.close();
    const expired = await as(u).get(`/api/sync/changes?since=${stale}`);
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe("cursor_expired");
    expect((await as(u).get(`/api/sync/changes?since=${before}`)).status).toBe(410);
    // From the start still works and is a compacted snapshot: what signup wrote only.
    const all = await as(u).get("/api/sync/changes");
    expect(all.status).toBe(200);
    expect(all.body.changes.map((c: any) => c.entity)).toEqual(SIGNUP_ENTITIES);
  });
});
