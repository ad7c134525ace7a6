// SPEC §4 offline cache: logout and user switches clear it, a schema-version
// mismatch clears the IndexedDB copy, and nothing lands in localStorage.
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { afterEach, describe, expect, test } from "vitest";
import { CACHE_SCHEMA_VERSION, memoryCache, type OutboxEntry } from "../../web/src/sync/db.ts";
import { openIdbCache } from "../../web/src/sync/idb-cache.ts";
import { cachedUser } from "../../web/src/sync/store.ts";
import { errorReply, flush, harness, PHONE, startStore, USER, inboxItem } from "./harness.ts";

const entry = (id: string): OutboxEntry => ({
  key: `k-${id}`,
  method: "POST",
  path: "/api/user/inbox",
  body: { id, title: id },
  entity: "inbox_item",
  id,
  optimistic: { op: "upsert", data: { id, title: id, version: 0 } },
  label: id,
  created_at: 0,
  attempts: 0,
  state: "pending",
});

let dbSeq = 0;
const dbName = () => `continuum-test-${++dbSeq}`;

describe("logout and user switch", () => {
  test("logout clears the cache, the outbox and the cursor but keeps the device id", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "private" });
    const store = await startStore(h);
    h.server.down = true;
    await store.mutate({
      method: "POST",
      path: "/api/user/inbox",
      body: { id: "b", title: "pending" },
      entity: "inbox_item",
      id: "b",
      optimistic: { op: "upsert", data: inboxItem("b", "pending") },
    });
    await flush();
    const clientId = (await h.cache.load()).meta.client_id;

    await store.clear();

    const snap = await h.cache.load();
    expect(snap.records).toEqual([]);
    expect(snap.outbox).toEqual([]);
    expect(snap.meta).toMatchObject({ cursor: null, user: null, client_id: clientId });
    expect(store.records("inbox_item")).toEqual([]);
  });

  test("logout stops all network activity", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    await store.clear();
    const n = h.server.requests.length;
    await h.clock.advance(600_000);
    h.env.emit("online");
    h.env.emit("focus");
    await flush();
    expect(h.server.requests).toHaveLength(n);
    expect(h.clock.timers.size).toBe(0);
  });

  test("signing in as someone else clears the previous user's cache and outbox", async () => {
    const cache = memoryCache();
    const h1 = harness({ device: PHONE, cache });
    h1.server.upsert("inbox_item", "a", { title: "ada's" });
    const s1 = await startStore(h1);
    h1.server.down = true;
    await s1.mutate({
      method: "DELETE",
      path: "/api/user/inbox/a",
      entity: "inbox_item",
      id: "a",
      optimistic: { op: "delete" },
    });
    s1.stop();

    const h2 = harness({ device: PHONE, cache });
    h2.server.down = true; // show what the cache alone holds
    const s2 = await startStore(h2, { ...USER, id: "u2", username: "bob" });
    expect(s2.records("inbox_item")).toEqual([]);
    expect(await cache.readOutbox()).toEqual([]);
    expect(h2.server.mutations()).toEqual([]);
    expect((await cache.load()).meta.user?.id).toBe("u2");
  });

  test("the same user signing back in keeps the cache (opens offline)", async () => {
    const cache = memoryCache();
    const h1 = harness({ device: PHONE, cache });
    h1.server.upsert("inbox_item", "a", { title: "mine" });
    (await startStore(h1)).stop();

    const h2 = harness({ device: PHONE, cache });
    h2.server.down = true;
    expect(await cachedUser(h2.deps)).toEqual(USER);
    const s2 = await startStore(h2);
    expect(s2.records("inbox_item").map((r) => r.title)).toEqual(["mine"]);
    expect(s2.status().mode).toBe("offline");
  });
});

describe("IndexedDB cache", () => {
  test("round-trips records, cursor and outbox", async () => {
    const name = dbName();
    const c1 = await openIdbCache(name);
    await c1.commit([{ entity: "inbox_item", id: "a", version: 1, data: { id: "a" } }], [], "7");
    const seq = await c1.addOutbox(entry("x"));
    await c1.setMeta({ client_id: "dev-1", user: USER });
    c1.close();

    const c2 = await openIdbCache(name);
    const snap = await c2.load();
    expect(snap.meta).toMatchObject({ schema_version: CACHE_SCHEMA_VERSION, cursor: "7", client_id: "dev-1" });
    expect(snap.records.map((r) => r.id)).toEqual(["a"]);
    expect(snap.outbox).toEqual([{ ...entry("x"), seq }]);
    c2.close();
  });

  test("a schema-version mismatch (an app update) drops records and cursor but keeps every queued edit", async () => {
    const name = dbName();
    const c1 = await openIdbCache(name);
    await c1.commit([{ entity: "inbox_item", id: "a", version: 1, data: { id: "a" } }], [], "7");
    const seqs = [await c1.addOutbox(entry("x")), await c1.addOutbox(entry("y"))];
    await c1.setMeta({ client_id: "dev-1", user: USER });
    c1.close();
    // An older build wrote this database.
    const raw = await openDB(name);
    await raw.put("meta", CACHE_SCHEMA_VERSION - 1, "schema_version");
    raw.close();

    const c2 = await openIdbCache(name);
    const snap = await c2.load();
    expect(snap.records).toEqual([]);
    // SPEC §4: the record cache may be cleared, the outbox never — same entries, same order.
    expect(snap.outbox).toEqual([
      { ...entry("x"), seq: seqs[0] },
      { ...entry("y"), seq: seqs[1] },
    ]);
    expect(snap.meta).toMatchObject({
      schema_version: CACHE_SCHEMA_VERSION,
      cursor: null,
      client_id: "dev-1",
      user: USER,
    });
    // New entries keep counting after the carried-over ones.
    expect(await c2.addOutbox(entry("z"))).toBeGreaterThan(seqs[1]!);
    c2.close();

    // The upgrade happened once: reopening changes nothing.
    const c3 = await openIdbCache(name);
    expect((await c3.load()).outbox.map((e) => e.key)).toEqual(["x", "y", "z"].map((k) => entry(k).key));
    c3.close();
  });

  test("clear() wipes records and outbox and keeps the device id", async () => {
    const c = await openIdbCache(dbName());
    await c.commit([{ entity: "inbox_item", id: "a", version: 1, data: { id: "a" } }], [], "7");
    await c.addOutbox(entry("x"));
    await c.setMeta({ client_id: "dev-1", user: USER });
    await c.clear();
    const snap = await c.load();
    expect(snap).toMatchObject({ records: [], outbox: [], meta: { cursor: null, user: null, client_id: "dev-1" } });
    c.close();
  });

  test("updateOutbox doesn't resurrect an entry another tab removed", async () => {
    const c = await openIdbCache(dbName());
    const seq = await c.addOutbox(entry("x"));
    await c.removeOutbox(seq);
    await c.updateOutbox({ ...entry("x"), seq, attempts: 3 });
    expect(await c.readOutbox()).toEqual([]);
    c.close();
  });
});

describe("warm start", () => {
  const rec = (id: string, created: string, entity = "inbox_item") => ({
    entity,
    id,
    version: 1,
    data: { ...inboxItem(id, id, 1), created_at: created },
  });

  test("load({ newest }) answers the newest records and the settings first, and every record after", async () => {
    const name = dbName();
    const c1 = await openIdbCache(name);
    const old = Array.from({ length: 30 }, (_, i) =>
      rec(`old${i}`, `2025-01-${String(i + 1).padStart(2, "0")}T00:00:00Z`),
    );
    await c1.commit(
      [
        ...old,
        rec("new1", "2026-06-01T00:00:00Z"),
        rec("new2", "2026-06-02T00:00:00Z", "reference"),
        { entity: "settings", id: "s", version: 3, data: { id: "s", version: 3, created_at: "2024-01-01T00:00:00Z" } },
      ],
      [],
      "9",
    );
    c1.close();
    const c2 = await openIdbCache(name);
    const snap = await c2.load({ newest: 2 });
    expect(snap.records.map((r) => r.id)).toEqual(["s", "new2", "new1"]);
    expect((await snap.rest!).map((r) => r.id).sort()).toEqual([...old.map((r) => r.id), "new1", "new2", "s"].sort());
    c2.close();
  });

  test("a store started from it ends with every record, and pulls from the cached cursor once they are in", async () => {
    const name = dbName();
    const c1 = await openIdbCache(name);
    await c1.commit(
      Array.from({ length: 250 }, (_, i) => rec(`r${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString())),
      [],
      "5",
    );
    await c1.setMeta({ user: USER });
    c1.close();
    const h = harness({ device: PHONE, cache: await openIdbCache(name) });
    for (let i = 0; i < 5; i++) h.server.upsert("inbox_item", `x${i}`, { title: "server" });
    h.server.seq = 5;
    const store = await startStore(h);
    // The first pull is the sign that the rest of the cache was read (it waits for it); how many
    // macrotasks fake-indexeddb takes for 250 records varies with the machine's load.
    while (h.server.pulls().length === 0) await flush();
    expect(store.records("inbox_item")).toHaveLength(250);
    expect(h.server.pulls()[0]!.query.get("since")).toBe("5");
  });
});

describe("no localStorage", () => {
  const g = globalThis as { localStorage?: unknown };
  afterEach(() => {
    delete g.localStorage;
  });

  test("a whole session — sync, writes, an outage, a restart, logout — never touches localStorage", async () => {
    const touched: string[] = [];
    g.localStorage = new Proxy(
      {},
      {
        get: (_t, p) => {
          touched.push(String(p));
          return () => null;
        },
        set: (_t, p) => {
          touched.push(String(p));
          return true;
        },
      },
    );
    const cache = memoryCache();
    const h = harness({ device: PHONE, cache });
    h.server.upsert("settings", "s1", { sync: { mode: "poll", poll_interval_s: 10 }, updated_at: "x" });
    const s1 = await startStore(h);
    await s1.mutate({
      method: "POST",
      path: "/api/user/inbox",
      body: { id: "a", title: "hi" },
      entity: "inbox_item",
      id: "a",
      optimistic: { op: "upsert", data: inboxItem("a", "hi") },
    });
    h.server.failNext(errorReply(503, "database_unavailable", { "Retry-After": "1" }));
    await h.clock.advance(120_000);
    s1.stop();
    const s2 = await startStore(harness({ device: PHONE, cache }));
    await s2.clear();
    expect(touched).toEqual([]);
  });
});
