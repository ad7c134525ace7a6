// GET /api/sync/snapshot (issue #22): a new device's bootstrap reads the change
// log newest first. Walked to the end and merged "first entry per record wins",
// it must equal the records replaying /changes from the start gives, and
// /changes?since=<its cursor> must carry on from there without a gap.
import { describe, expect, test } from "vitest";
import { as, signup } from "../support/api";

type Entry = { cursor: string; entity: string; id: string; op: string; version: number; data: any };

/** Every live record by replaying the forward feed from the start. */
async function replay(u: { token: string }) {
  const live = new Map<string, Entry>();
  let since = "";
  for (;;) {
    const page = await as(u).get(`/api/sync/changes?limit=4${since ? `&since=${since}` : ""}`);
    expect(page.status).toBe(200);
    for (const c of page.body.changes as Entry[]) {
      if (c.op === "upsert") live.set(`${c.entity}/${c.id}`, c);
      else live.delete(`${c.entity}/${c.id}`);
    }
    since = page.body.cursor;
    if (!page.body.has_more) return { live, cursor: since };
  }
}

/** The snapshot walk: first entry per record wins; returns what it kept and its cursor. */
async function walk(u: { token: string }, limit: number) {
  const seen = new Map<string, Entry>();
  let before: string | null = null;
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page: { status: number; body: any } = await as(u).get(
      `/api/sync/snapshot?limit=${limit}${before ? `&before=${before}` : ""}`,
    );
    expect(page.status).toBe(200);
    pages++;
    cursor ??= page.body.cursor;
    const seqs = (page.body.changes as Entry[]).map((c) => Number(c.cursor));
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs); // newest first
    for (const c of page.body.changes as Entry[]) {
      const k = `${c.entity}/${c.id}`;
      if (!seen.has(k)) seen.set(k, c);
    }
    before = page.body.next;
    if (before === null) break;
  }
  const live = new Map([...seen].filter(([, c]) => c.op === "upsert"));
  return { live, cursor: cursor!, pages };
}

describe("GET /api/sync/snapshot", () => {
  test("newest first, paged; merged it equals replaying the feed, and the feed carries on from its cursor", async () => {
    const u = await signup();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await as(u).post("/api/user/inbox", { title: `item ${i}` })).body.id);
    await as(u).put(`/api/user/inbox/${ids[0]}`, { title: "item 0 edited" });
    await as(u).del(`/api/user/inbox/${ids[1]}`);
    await as(u).post("/api/references", { title: "a note", content: "Café au lait" });

    const first = await as(u).get("/api/sync/snapshot?limit=2");
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toContain("no-store");
    // The newest write comes first: the reference, then the tombstone.
    expect(first.body.changes.map((c: Entry) => [c.entity, c.op])).toEqual([
      ["reference", "upsert"],
      ["inbox_item", "delete"],
    ]);
    expect(first.body.next).toBe(first.body.changes[1].cursor);

    const feed = await replay(u);
    const snap = await walk(u, 3);
    expect(snap.pages).toBeGreaterThan(2);
    expect(snap.cursor).toBe(feed.cursor);
    const view = (m: Map<string, Entry>) =>
      Object.fromEntries([...m].map(([k, c]) => [k, { version: c.version, data: c.data }]));
    expect(view(snap.live)).toEqual(view(feed.live));
    expect(snap.live.get(`inbox_item/${ids[0]}`)?.data.title).toBe("item 0 edited");
    expect(snap.live.has(`inbox_item/${ids[1]}`)).toBe(false);

    // What happens after the walk is the forward feed's, from the walk's cursor.
    const later = (await as(u).post("/api/user/inbox", { title: "after the snapshot" })).body;
    const next = await as(u).get(`/api/sync/changes?since=${snap.cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.changes.map((c: Entry) => c.id)).toEqual([later.id]);
  });

  test("bad paging input → 400 in the error format, changing nothing; no session → 401", async () => {
    const u = await signup();
    for (const q of [
      "before=abc",
      "limit=0",
      "limit=5001",
      "nope=1",
      "after=-1",
      "split=0",
      "split=100001",
      "split=x",
    ]) {
      const r = await as(u).get(`/api/sync/snapshot?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toEqual(expect.any(String));
    }
    expect((await as({ token: "" }).get("/api/sync/snapshot")).status).toBe(401);
    // A page below everything is empty and complete.
    const empty = await as(u).get("/api/sync/snapshot?before=1");
    expect(empty.body).toEqual({ changes: [], cursor: expect.any(String), floor: "0", next: null });
    // Split, with nothing below the page: no ranges to read.
    const whole = await as(u).get("/api/sync/snapshot?split=100");
    expect(whole.body).toEqual({
      changes: expect.any(Array),
      cursor: expect.any(String),
      floor: "0",
      next: null,
      ranges: [],
    });
  });

  test("split: disjoint ranges covering everything below the first page, read concurrently while writes land, converge", async () => {
    const u = await signup();
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push((await as(u).post("/api/user/inbox", { title: `item ${i}` })).body.id);
    await as(u).put(`/api/user/inbox/${ids[0]}`, { title: "item 0 edited" });
    await as(u).del(`/api/user/inbox/${ids[1]}`);
    await as(u).post("/api/references", { title: "a note", content: "Café au lait" });

    // What a sequential walk reads below the first page.
    const sequential = new Set<string>();
    const first = await as(u).get("/api/sync/snapshot?limit=2&split=3");
    expect(first.status).toBe(200);
    for (let before = first.body.next; before !== null;) {
      const p = await as(u).get(`/api/sync/snapshot?limit=100&before=${before}`);
      for (const c of p.body.changes as Entry[]) sequential.add(c.cursor);
      before = p.body.next;
    }
    const ranges = first.body.ranges as Array<{ before: string; after: string | null }>;
    expect(ranges.length).toBeGreaterThan(2);
    expect(ranges[0]!.before).toBe(first.body.next);
    expect(ranges.at(-1)!.after).toBe(null);

    // Meanwhile, elsewhere: an old item edited, another deleted, one created (all after the first page's cursor).
    await as(u).put(`/api/user/inbox/${ids[2]}`, { title: "item 2 edited meanwhile" });
    await as(u).del(`/api/user/inbox/${ids[3]}`);
    const created = (await as(u).post("/api/user/inbox", { title: "created meanwhile" })).body;

    // Every range at once, each followed by its own `next` (pages of 2, so a range takes more than one).
    const pages = await Promise.all(
      ranges.map(async (r) => {
        const got: Entry[] = [];
        for (let before: string | null = r.before; before !== null;) {
          const p: { status: number; body: any } = await as(u).get(
            `/api/sync/snapshot?limit=2&before=${before}${r.after === null ? "" : `&after=${r.after}`}`,
          );
          expect(p.status).toBe(200);
          got.push(...(p.body.changes as Entry[]));
          before = p.body.next;
        }
        return got;
      }),
    );
    const read = pages.flat().map((c) => c.cursor);
    expect(new Set(read).size).toBe(read.length); // disjoint
    expect(new Set(read)).toEqual(sequential); // covering exactly what the sequential walk reads

    // Merged by the highest cursor per record, then the feed from the first page's cursor.
    const newest = new Map<string, Entry>();
    for (const c of [...(first.body.changes as Entry[]), ...pages.flat()]) {
      const k = `${c.entity}/${c.id}`;
      if (!newest.has(k) || Number(newest.get(k)!.cursor) < Number(c.cursor)) newest.set(k, c);
    }
    const feed = await as(u).get(`/api/sync/changes?since=${first.body.cursor}`);
    expect(feed.status).toBe(200);
    for (const c of feed.body.changes as Entry[]) newest.set(`${c.entity}/${c.id}`, c);
    const live = new Map([...newest].filter(([, c]) => c.op === "upsert"));
    const truth = await replay(u);
    const view = (m: Map<string, Entry>) =>
      Object.fromEntries([...m].map(([k, c]) => [k, { version: c.version, data: c.data }]));
    expect(view(live)).toEqual(view(truth.live));
    expect(live.get(`inbox_item/${ids[2]}`)?.data.title).toBe("item 2 edited meanwhile");
    expect(live.has(`inbox_item/${ids[3]}`)).toBe(false);
    expect(live.has(`inbox_item/${created.id}`)).toBe(true);
    expect(feed.body.cursor).toBe(truth.cursor);
  });
});
