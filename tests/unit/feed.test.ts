// SPEC §4 change feed on the client: socket fast path, gaps, duplicates, 304, 410, paging.
import { describe, expect, test } from "vitest";
import type { ServerMessage, Settings } from "../../web/src/api/types.ts";
import { memoryCache, type SyncCache } from "../../web/src/sync/db.ts";
import { DESKTOP, flush, harness, PHONE, settingsRecord, startStore, inboxItem } from "./harness.ts";

/** A memory cache that remembers the cursor of every commit. */
function countingCache(): SyncCache & { commits: Array<string | null | undefined> } {
  const inner = memoryCache();
  const commits: Array<string | null | undefined> = [];
  return {
    ...inner,
    commits,
    commit: (puts, dels, cursor) => {
      commits.push(cursor);
      return inner.commit(puts, dels, cursor);
    },
  };
}

const titles = (store: { records(e: "inbox_item"): readonly { title: string }[] }) =>
  store
    .records("inbox_item")
    .map((r) => r.title)
    .sort();

describe("initial sync", () => {
  test("a fresh client loads the snapshot, then follows the feed from the snapshot's cursor", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "one" });
    const store = await startStore(h);
    const [snap] = h.server.snapshots();
    expect(snap!.query.has("before")).toBe(false);
    const [first] = h.server.pulls();
    expect(first!.query.get("since")).toBe("1");
    expect(titles(store)).toEqual(["one"]);
    expect((await h.cache.load()).meta.cursor).toBe("1");
  });

  test("snapshot pages are followed newest first until complete; older entries of a record lose", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    for (const t of ["a", "b", "c", "d", "e"]) h.server.upsert("inbox_item", t, { title: t });
    h.server.upsert("inbox_item", "a", { title: "a2" }); // 6: a's newest entry, met first
    h.server.commit("inbox_item", "b", "delete", null); // 7: b's tombstone, met before its upsert
    const store = await startStore(h);
    expect(h.server.snapshots().map((r) => r.query.get("before"))).toEqual([null, "6", "4", "2"]);
    expect(titles(store)).toEqual(["a2", "c", "d", "e"]);
    expect((await h.cache.load()).meta.cursor).toBe("7");
    expect(h.server.pulls().map((r) => r.query.get("since"))).toEqual(["7"]);
  });

  test("an interrupted load starts over: records the server no longer has leave, the rest stay", async () => {
    const cache = memoryCache();
    // A previous session got some records in, but never a cursor.
    await cache.commit(
      [
        { entity: "inbox_item", id: "gone", version: 1, data: { ...inboxItem("gone", "gone", 1) } },
        { entity: "inbox_item", id: "a", version: 1, data: { ...inboxItem("a", "a", 1) } },
      ],
      [],
    );
    const h = harness({ device: PHONE, cache });
    h.server.upsert("inbox_item", "a", { title: "a" });
    h.server.upsert("inbox_item", "b", { title: "b" });
    const store = await startStore(h);
    expect(titles(store)).toEqual(["a", "b"]);
    const snap = await cache.load();
    expect(snap.meta.cursor).toBe("2");
    expect(snap.records.map((r) => r.id).sort()).toEqual(["a", "b"]);
  });

  test("a cached client resumes from its cursor", async () => {
    const cache = memoryCache();
    const h1 = harness({ device: PHONE, cache });
    h1.server.upsert("inbox_item", "a", { title: "one" });
    (await startStore(h1)).stop();

    const h2 = harness({ device: PHONE, cache });
    h2.server.upsert("inbox_item", "a", { title: "one" });
    h2.server.upsert("inbox_item", "b", { title: "two" });
    const store = await startStore(h2);
    expect(h2.server.pulls()[0]!.query.get("since")).toBe("1");
    expect(titles(store)).toEqual(["one", "two"]);
  });
});

describe("pulling", () => {
  test("an idle pull sends If-None-Match and a 304 changes nothing", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "one" });
    const store = await startStore(h);
    let notified = 0;
    store.onRecords("inbox_item", () => notified++);
    store.pullNow();
    await flush();
    const last = h.server.pulls().at(-1)!;
    expect(last.headers.get("if-none-match")).toBe('"1"');
    expect(notified).toBe(0);
    expect(titles(store)).toEqual(["one"]);
  });

  test("410 cursor_expired reloads everything from the snapshot, then follows the feed", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "gone" });
    h.server.upsert("inbox_item", "b", { title: "kept" });
    const store = await startStore(h);
    // Meanwhile: a is deleted, c is created, and the log is pruned past our cursor.
    h.server.commit("inbox_item", "a", "delete", null);
    h.server.upsert("inbox_item", "c", { title: "new" });
    h.server.prune(4);

    store.pullNow();
    await flush();

    const [expired, after] = h.server.pulls().slice(-2);
    expect(expired!.query.get("since")).toBe("2");
    expect(h.server.snapshots()).toHaveLength(2); // the first start, and the reload
    expect(after!.query.get("since")).toBe("4");
    expect(titles(store)).toEqual(["kept", "new"]);
    const snap = await h.cache.load();
    expect(snap.meta.cursor).toBe("4");
    expect(snap.records.map((r) => r.id).sort()).toEqual(["b", "c"]);
  });

  test("within one page too, a record's newest entry wins (a tombstone over its older upsert)", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "a" });
    h.server.upsert("inbox_item", "b", { title: "b" });
    h.server.commit("inbox_item", "b", "delete", null);
    const store = await startStore(h);
    expect(h.server.snapshots()).toHaveLength(1);
    expect(titles(store)).toEqual(["a"]);
    expect((await h.cache.load()).records.map((r) => r.id)).toEqual(["a"]);
  });

  test("a load that fails part way carries on after the last page written, not from the start", async () => {
    const h = harness({ device: PHONE });
    h.server.maxPage = 2;
    for (const t of ["a", "b", "c", "d", "e", "f"]) h.server.upsert("inbox_item", t, { title: t });
    // The third page (below seq 3) times out once: the first pull stops there.
    h.server.failNext("network", (r) => r.path === "/api/sync/snapshot" && r.query.get("before") === "3");
    const store = await startStore(h);
    expect(store.loaded()).toBe(false);
    expect(titles(store)).toEqual(["c", "d", "e", "f"]);
    store.pullNow();
    await flush();
    // Resumed below seq 3 (the page that failed), never the first page again.
    expect(h.server.snapshots().map((r) => r.query.get("before"))).toEqual([null, "5", "3", "3"]);
    expect(store.loaded()).toBe(true);
    expect(titles(store)).toEqual(["a", "b", "c", "d", "e", "f"]);
    const snap = await h.cache.load();
    expect(snap.meta.cursor).toBe("6");
    expect(snap.records).toHaveLength(6);
  });

  test("a pull of several pages carries the walk token: the floor rising mid-walk costs no reload", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "a" });
    const store = await startStore(h);
    h.server.maxPage = 2;
    for (const t of ["b", "c", "d", "e", "f"]) h.server.upsert("inbox_item", t, { title: t });
    // After the first page (since 1 → cursor 3) the compaction raises the floor above that cursor.
    h.server.afterChangesPage = (r) => {
      if (r.query.get("since") === "1") h.server.floor = 5;
    };
    store.pullNow();
    await flush();
    const pulls = h.server.pulls().slice(1);
    expect(pulls.map((r) => r.query.get("since"))).toEqual(["1", "3", "5"]);
    expect(pulls.map((r) => r.query.get("walk"))).toEqual([null, "1.1", "1.1"]);
    expect(h.server.snapshots()).toHaveLength(1); // the first load only: no 410, no reload
    expect(titles(store)).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect((await h.cache.load()).meta.cursor).toBe("6");
  });

  test("a 410 recovery on a full cache rewrites only the records that changed", async () => {
    const cache = countingCache();
    const puts: string[] = [];
    const commit = cache.commit;
    cache.commit = (p, d, c) => {
      puts.push(...p.map((r) => r.id));
      return commit(p, d, c);
    };
    const h = harness({ device: PHONE, cache });
    for (const t of ["a", "b", "c"]) h.server.upsert("inbox_item", t, { title: t });
    const store = await startStore(h);
    expect(puts.sort()).toEqual(["a", "b", "c"]);
    puts.length = 0;
    h.server.upsert("inbox_item", "b", { title: "b2" });
    h.server.prune(4);
    let notified = 0;
    store.onRecords("inbox_item", () => notified++);
    store.pullNow();
    await flush();
    expect(h.server.snapshots()).toHaveLength(2);
    expect(puts).toEqual(["b"]);
    expect(titles(store)).toEqual(["a", "b2", "c"]);
    expect(notified).toBeGreaterThan(0);
  });

  test("a change older than the record already held is ignored", async () => {
    const h = harness({ device: DESKTOP });
    h.server.upsert("inbox_item", "a", { title: "v1" });
    h.server.upsert("inbox_item", "a", { title: "v2" });
    const store = await startStore(h);
    const ws = h.server.sockets.at(-1)!;
    ws.receive({
      type: "changes",
      prev: "2",
      cursor: "3",
      changes: [
        { cursor: "3", entity: "inbox_item", id: "a", op: "upsert", version: 1, data: { id: "a", title: "v1" } },
      ],
    });
    await flush();
    expect(titles(store)).toEqual(["v2"]);
  });
});

describe("socket messages", () => {
  test("a change whose prev is our cursor is applied directly, without a pull", async () => {
    const h = harness({ device: DESKTOP });
    const store = await startStore(h);
    const pulls = h.server.pulls().length;
    h.server.upsert("inbox_item", "a", { title: "live" });
    await flush();
    expect(titles(store)).toEqual(["live"]);
    expect(h.server.pulls()).toHaveLength(pulls);
    expect((await h.cache.load()).meta.cursor).toBe("1");
  });

  test("a gap (prev ≠ our cursor) triggers a pull that closes it", async () => {
    const h = harness({ device: DESKTOP });
    h.server.upsert("inbox_item", "a", { title: "one" });
    const store = await startStore(h);
    h.server.live = false;
    h.server.upsert("inbox_item", "b", { title: "missed" });
    h.server.live = true;
    h.server.upsert("inbox_item", "c", { title: "three" });
    await flush();
    expect(h.server.pulls().at(-1)!.query.get("since")).toBe("1");
    expect(titles(store)).toEqual(["missed", "one", "three"]);
    expect((await h.cache.load()).meta.cursor).toBe("3");
  });

  test("the same change delivered twice is applied once", async () => {
    const cache = countingCache();
    const h = harness({ device: DESKTOP, cache });
    const store = await startStore(h);
    const ws = h.server.sockets.at(-1)!;
    let notified = 0;
    store.onRecords("inbox_item", () => notified++);
    const msg: ServerMessage = {
      type: "changes",
      prev: "0",
      cursor: "1",
      changes: [
        { cursor: "1", entity: "inbox_item", id: "a", op: "upsert", version: 1, data: { id: "a", title: "x" } },
      ],
    };
    cache.commits.length = 0;
    const pulls = h.server.pulls().length;
    ws.receive(msg);
    ws.receive(msg);
    await flush();
    expect(cache.commits).toEqual(["1"]);
    expect(h.server.pulls()).toHaveLength(pulls); // recognised as a duplicate, not as a gap
    expect(notified).toBe(1);
    expect(store.records("inbox_item")).toHaveLength(1);
  });

  test("our own write's echo is applied once and retires the outbox entry", async () => {
    const cache = countingCache();
    const h = harness({ device: DESKTOP, cache });
    const store = await startStore(h);
    const pulls = h.server.pulls().length;
    cache.commits.length = 0;
    await store.mutate({
      method: "POST",
      path: "/api/user/inbox",
      body: { id: "n1", title: "mine" },
      entity: "inbox_item",
      id: "n1",
      optimistic: { op: "upsert", data: inboxItem("n1", "mine") },
    });
    await flush();
    const req = h.server.mutations()[0]!;
    expect(req.headers.get("x-client-id")).toBe((await h.cache.load()).meta.client_id);
    expect(cache.commits.filter((c) => c === "1")).toHaveLength(1);
    expect(store.records("inbox_item")).toEqual([expect.objectContaining({ id: "n1", version: 1 })]);
    expect((await h.cache.readOutbox()).length).toBe(0);
    expect(h.server.pulls()).toHaveLength(pulls);
  });

  test("hello with a cursor other than ours pulls; with ours it doesn't", async () => {
    const h = harness({ device: DESKTOP });
    await startStore(h);
    const ws = h.server.sockets.at(-1)!;
    const pulls = h.server.pulls().length;
    ws.receive({ type: "hello", cursor: "0" });
    await flush();
    expect(h.server.pulls()).toHaveLength(pulls);
    h.server.live = false;
    h.server.upsert("inbox_item", "a", { title: "while away" });
    ws.receive({ type: "hello", cursor: "1" });
    await flush();
    expect(h.server.pulls()).toHaveLength(pulls + 1);
  });

  test("a malformed message is ignored", async () => {
    const h = harness({ device: DESKTOP });
    const store = await startStore(h);
    const ws = h.server.sockets.at(-1)!;
    ws.receiveRaw("{not json");
    await flush();
    expect(store.status().mode).toBe("live");
  });
});

describe("settings drive the transport", () => {
  test("settings mode poll closes a desktop's socket and polls at poll_interval_s", async () => {
    const h = harness({ device: DESKTOP });
    h.server.upsert("settings", "s1", settingsRecord({ mode: "poll", poll_interval_s: 10 }));
    const store = await startStore(h);
    expect(h.server.sockets.every((s) => s.closed)).toBe(true);
    expect(store.status()).toMatchObject({ mode: "polling", poll_interval_s: 10 });
    const t0 = h.clock.now;
    const before = h.server.pulls().length;
    h.server.upsert("settings", "s1", { theme: "dark" }); // something new for each poll
    await h.clock.advance(10_000);
    expect(
      h.server
        .pulls()
        .slice(before)
        .map((r) => r.at - t0),
    ).toEqual([10_000]);
  });

  test("settings mode socket makes a phone hold the socket", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("settings", "s1", settingsRecord({ mode: "socket" }));
    const store = await startStore(h);
    expect(h.server.sockets).toHaveLength(1);
    expect(store.status().mode).toBe("live");
  });

  test("changing the setting at runtime switches transport", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("settings", "s1", settingsRecord({ mode: "auto" }));
    const store = await startStore(h);
    expect(h.server.sockets).toHaveLength(0);
    await store.mutate({
      method: "PUT",
      path: "/api/settings",
      body: { sync: { mode: "socket" } },
      entity: "settings",
      id: "s1",
      optimistic: {
        op: "upsert",
        data: { ...(h.server.records.get("settings:s1") as Settings), sync: { mode: "socket", poll_interval_s: 30 } },
      },
    });
    await flush();
    expect(h.server.sockets).toHaveLength(1);
  });
});
