// The snapshot walk split into ranges (issue #22): after the first page the
// client reads the ranges the server names concurrently, in whatever order they
// answer, merges them by the highest cursor per record, and the feed carries on
// from the first page's cursor — converging with writes, compaction and a 410
// that happen while the ranges are in flight.
import { describe, expect, test } from "vitest";
import { SNAPSHOT_CONCURRENCY } from "../../web/src/sync/bootstrap.ts";
import { flush, harness, PHONE, startStore, type Harness } from "./harness.ts";

const titles = (store: { records(e: "inbox_item"): readonly { title: string }[] }) =>
  store
    .records("inbox_item")
    .map((r) => r.title)
    .sort();

/** What the server holds, by title (the truth a converged client shows). */
const serverTitles = (h: Harness) =>
  [...h.server.records.entries()]
    .filter(([k]) => k.startsWith("inbox_item:"))
    .map(([, d]) => String(d.title))
    .sort();

/** Snapshot requests after the first page, as [before, after]. */
const rangePages = (h: Harness) =>
  h.server
    .snapshots()
    .filter((r) => r.query.has("before"))
    .map((r) => [r.query.get("before"), r.query.get("after")]);

/** 10 entries: a and b change in the newest range, their older entries sit in the oldest. */
function tenEntries(h: Harness): void {
  for (const t of ["a", "b", "c", "d", "e", "f"]) h.server.upsert("inbox_item", t, { title: t }); // 1–6
  h.server.upsert("inbox_item", "a", { title: "a2" }); // 7
  h.server.commit("inbox_item", "b", "delete", null); // 8
  h.server.upsert("inbox_item", "g", { title: "g" }); // 9
  h.server.upsert("inbox_item", "h", { title: "h" }); // 10
}

/**
 * 12 entries: the first page holds 12 and 11, the second (which names the ranges) 10 and 9; with
 * ranges of 2 the newest range holds a2 (7) and b's tombstone (8), the oldest their first entries.
 */
function twelveEntries(h: Harness): void {
  tenEntries(h);
  h.server.upsert("inbox_item", "i", { title: "i" }); // 11
  h.server.upsert("inbox_item", "j", { title: "j" }); // 12
}

describe("a snapshot read as concurrent ranges", () => {
  test("the second page names the ranges; answered oldest first, the highest cursor per record still wins", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    h.server.maxSplit = 2;
    twelveEntries(h);
    // The newest range (a2 and b's tombstone) answers last, after the old entries of a and b.
    const release = h.server.holdNext((r) => r.path === "/api/sync/snapshot" && r.query.get("before") === "9");
    const store = await startStore(h);
    expect(SNAPSHOT_CONCURRENCY).toBeGreaterThanOrEqual(2);
    // The first page asks no ranges (the first screen's page stays cheap); the second does.
    const [first, second] = h.server.snapshots();
    expect(first!.query.has("split")).toBe(false);
    expect(second!.query.get("split")).toBe("5000");
    // Every other range was read while the newest one was held: they run concurrently.
    expect(rangePages(h)).toEqual([
      ["11", null],
      ["9", "6"],
      ["7", "4"],
      ["5", "2"],
      ["3", null],
    ]);
    expect(store.loaded()).toBe(false);
    expect(h.server.pulls()).toEqual([]); // the feed waits for the whole walk
    expect(titles(store)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    release();
    await flush();
    expect(store.loaded()).toBe(true);
    expect(titles(store)).toEqual(["a2", "c", "d", "e", "f", "g", "h", "i", "j"]);
    const cached = await h.cache.load();
    expect(cached.meta.cursor).toBe("12");
    expect(cached.records.map((r) => r.id).sort()).toEqual(["a", "c", "d", "e", "f", "g", "h", "i", "j"]);
    expect(h.server.pulls().map((r) => r.query.get("since"))).toEqual(["12"]);
  });

  test("a range longer than a page is followed by its own next, within its bounds", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    h.server.maxSplit = 4;
    twelveEntries(h);
    const store = await startStore(h);
    // Below the first page (12 11), cuts every 4th entry counted from the second page's top
    // (10 9 8 [7] 6 5 4 [3] 2 1): the second page (10 9), then ranges [7, 9), [3, 7), [1, 3).
    // Pages of 2: the middle range takes two, the second keeping its `after`.
    expect(rangePages(h).sort()).toEqual(
      [
        ["11", null],
        ["9", "6"],
        ["7", "2"],
        ["5", "2"],
        ["3", null],
      ].sort(),
    );
    expect(titles(store)).toEqual(serverTitles(h));
    expect((await h.cache.load()).meta.cursor).toBe("12");
  });

  test("writes and a compaction while the ranges are in flight: the feed from the first page's cursor converges", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    h.server.maxSplit = 2;
    tenEntries(h);
    // Ranges below the second page (8 7): [5, 7) and [3, 5) and [1, 3); c and d are in [3, 5).
    const release = h.server.holdNext((r) => r.path === "/api/sync/snapshot" && r.query.get("before") === "5");
    const store = await startStore(h);
    expect(store.loaded()).toBe(false);
    // Elsewhere, meanwhile: c (in the held range) renamed, d deleted, i created — and the log compacted,
    // so the held range's entries of c and d are gone before it answers.
    h.server.upsert("inbox_item", "c", { title: "c2" });
    h.server.commit("inbox_item", "d", "delete", null);
    h.server.upsert("inbox_item", "i", { title: "i" });
    h.server.compact();
    release();
    await flush();
    expect(store.loaded()).toBe(true);
    // The walk (consistent with cursor 10) then the feed after 10 bring every change.
    expect(h.server.pulls()[0]!.query.get("since")).toBe("10");
    expect(titles(store)).toEqual(serverTitles(h));
    expect(titles(store)).toEqual(["a2", "c2", "e", "f", "g", "h", "i"]);
    const cached = await h.cache.load();
    expect(cached.meta.cursor).toBe(h.server.cursor());
    expect(cached.records.map((r) => r.data.title).sort()).toEqual(serverTitles(h));
  });

  test("a tombstone deleted while the ranges are in flight (its record met in an older range): walked again, no ghost", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    h.server.maxSplit = 2;
    twelveEntries(h);
    // b's upsert (cursor 2) is read in the oldest range; its tombstone (8) sits in the held newest one.
    const release = h.server.holdNext((r) => r.path === "/api/sync/snapshot" && r.query.get("before") === "9");
    const store = await startStore(h);
    expect(titles(store)).toContain("b");
    // The compaction deletes the tombstone with b's older entries and raises the floor (below the walk's cursor).
    h.server.prune(9);
    release();
    await flush();
    expect(store.loaded()).toBe(true);
    // A second walk from its own first page; b, which no entry names any more, is gone.
    expect(h.server.snapshots().filter((r) => !r.query.has("before"))).toHaveLength(2);
    expect(titles(store)).toEqual(serverTitles(h));
    expect(titles(store)).not.toContain("b");
    expect((await h.cache.load()).records.map((r) => r.id)).not.toContain("b");
    expect(h.server.pulls().map((r) => r.query.get("since"))).toEqual(["12"]);
  });

  test("a 410 for the walk's cursor, pruned between its last page and the feed: walked again, converged", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    h.server.maxSplit = 2;
    tenEntries(h);
    const release = h.server.holdNext((r) => r.path === "/api/sync/changes");
    const store = await startStore(h);
    expect(h.server.pulls().map((r) => r.query.get("since"))).toEqual(["10"]);
    h.server.commit("inbox_item", "e", "delete", null); // 11
    h.server.upsert("inbox_item", "j", { title: "j" }); // 12
    h.server.prune(12); // retention passes the walk's cursor (10)
    release();
    await flush();
    // The feed from 10 → 410, a second walk (from its own first page), then the feed from 12.
    expect(h.server.pulls().map((r) => r.query.get("since"))).toEqual(["10", "12"]);
    expect(h.server.snapshots().filter((r) => !r.query.has("before"))).toHaveLength(2);
    expect(store.loaded()).toBe(true);
    expect(titles(store)).toEqual(serverTitles(h));
    expect(titles(store)).toContain("j");
    expect(titles(store)).not.toContain("e");
    expect((await h.cache.load()).meta.cursor).toBe("12");
  });

  test("a range page that fails: the next pull reads only the pages not written", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    h.server.maxSplit = 2;
    tenEntries(h);
    h.server.failNext("network", (r) => r.path === "/api/sync/snapshot" && r.query.get("before") === "5");
    const store = await startStore(h);
    expect(store.loaded()).toBe(false);
    const before = rangePages(h).length;
    store.pullNow();
    await flush();
    // The failed range, and the one no page had started when it failed (new pages stop at a failure);
    // never the first pages or a range already written.
    expect(rangePages(h).slice(before).sort()).toEqual([
      ["3", null],
      ["5", "2"],
    ]);
    expect(h.server.snapshots().filter((r) => !r.query.has("before"))).toHaveLength(1);
    expect(store.loaded()).toBe(true);
    expect(titles(store)).toEqual(serverTitles(h));
    expect((await h.cache.load()).records).toHaveLength(7);
  });
});
