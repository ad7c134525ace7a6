// SPEC §4 offline outbox: optimistic state, ordered replay with stable
// Idempotency-Keys, 4xx drops with a notice, 409 adopts the server's record,
// outages retry with backoff and Retry-After, overlays retire at X-Sync-Cursor.
import { describe, expect, test } from "vitest";
import type { Mutation, SyncStore } from "../../web/src/sync/store.ts";
import { DESKTOP, errorReply, flush, harness, inboxItem, PHONE, startStore, type Harness } from "./harness.ts";
import { restoreMine } from "../../web/src/sync/restore-mine.ts";

const create = (id: string, text: string): Mutation<"inbox_item"> => ({
  method: "POST",
  path: "/api/user/inbox",
  body: { id, title: text },
  entity: "inbox_item",
  id,
  optimistic: { op: "upsert", data: inboxItem(id, text) },
  label: `Add “${text}”`,
});

const edit = (id: string, text: string, ifMatch?: number): Mutation<"inbox_item"> => ({
  method: "PUT",
  path: `/api/user/inbox/${id}`,
  body: { title: text },
  entity: "inbox_item",
  id,
  ifMatch,
  optimistic: { op: "upsert", data: inboxItem(id, text, ifMatch ?? 0) },
  label: `Edit “${text}”`,
});

const remove = (id: string): Mutation<"inbox_item"> => ({
  method: "DELETE",
  path: `/api/user/inbox/${id}`,
  entity: "inbox_item",
  id,
  optimistic: { op: "delete" },
  label: "Delete",
});

const titles = (store: SyncStore) =>
  store
    .records("inbox_item")
    .map((r) => r.title)
    .sort();

const keyOf = (h: Harness, i: number) => h.server.mutations()[i]!.headers.get("idempotency-key");

describe("optimistic state", () => {
  test("Mutation<E> ties the entity name to its record type (tsc checks the two @ts-expect-error lines)", () => {
    const ok = create("x", "y");
    // @ts-expect-error a typo in the entity name does not compile
    const typo: Mutation = { ...ok, entity: "inbox_itme" };
    // @ts-expect-error the optimistic record must be the entity's own record type
    const wrong: Mutation<"focus_session"> = { ...ok, entity: "focus_session" };
    expect([typo.entity, wrong.entity, ok.optimistic]).toEqual([
      "inbox_itme",
      "focus_session",
      { op: "upsert", data: inboxItem("x", "y") },
    ]);
  });

  test("a mutation shows at once, before the server answers", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    void store.mutate(create("n1", "draft"));
    expect(titles(store)).toEqual(["draft"]);
    await flush();
    expect(store.status().pending).toBe(1);
    expect(titles(store)).toEqual(["draft"]);
  });

  test("an optimistic delete hides the record while queued", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "doomed" });
    const store = await startStore(h);
    h.server.down = true;
    await store.mutate(remove("a"));
    expect(titles(store)).toEqual([]);
  });

  test("mutations are persisted in the cache's outbox with their key", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    await store.mutate(create("n1", "draft"));
    await flush();
    const [entry] = await h.cache.readOutbox();
    expect(entry).toMatchObject({ path: "/api/user/inbox", state: "pending", key: keyOf(h, 0) });
  });
});

describe("replay", () => {
  test("queued mutations replay in order after reconnect with the same Idempotency-Keys", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    await store.mutate(create("a", "first"));
    await store.mutate(create("b", "second"));
    await store.mutate(create("c", "third"));
    await flush();
    const failed = h.server.mutations().map((r) => [r.body, r.headers.get("idempotency-key")]);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every(([b]) => (b as { id: string }).id === "a")).toBe(true); // the head blocks the rest

    const n = h.server.mutations().length;
    h.server.down = false;
    h.env.emit("online");
    await flush();
    const replayed = h.server.mutations().slice(n);
    expect(replayed.map((r) => (r.body as { id: string }).id)).toEqual(["a", "b", "c"]);
    expect(replayed[0]!.headers.get("idempotency-key")).toBe(failed[0]![1]);
    expect(new Set(replayed.map((r) => r.headers.get("idempotency-key"))).size).toBe(3);
    expect(store.status().pending).toBe(0);
    expect(titles(store)).toEqual(["first", "second", "third"]);
  });

  test("the outbox survives a restart and replays with the same keys", async () => {
    const h1 = harness({ device: PHONE });
    const s1 = await startStore(h1);
    h1.server.down = true;
    await s1.mutate(create("a", "one"));
    await s1.mutate(edit("a", "one!"));
    await flush();
    const keys = (await h1.cache.readOutbox()).map((e) => e.key);
    s1.stop();

    const h2 = harness({ device: PHONE, cache: h1.cache });
    const s2 = await startStore(h2);
    expect(h2.server.mutations().map((r) => [r.method, r.headers.get("idempotency-key")])).toEqual([
      ["POST", keys[0]],
      ["PUT", keys[1]],
    ]);
    expect(titles(s2)).toEqual(["one!"]);
  });

  test("a response lost after the server committed is replayed, not applied twice", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    // The server handles the request but the connection drops before the response.
    const realFetch = h.server.fetch;
    let dropped = false;
    h.deps.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      if (!dropped && init?.method === "POST") {
        dropped = true;
        throw new TypeError("network connection was lost");
      }
      return res;
    };
    await store.mutate(create("a", "once"));
    await h.clock.advance(1_000);
    const [first, retry] = h.server.mutations();
    expect(retry!.headers.get("idempotency-key")).toBe(first!.headers.get("idempotency-key"));
    expect([...h.server.records.keys()]).toEqual(["inbox_item:a"]);
    expect(h.server.seq).toBe(1);
    expect(store.status().pending).toBe(0);
  });
});

describe("rejections", () => {
  test("a 422 drops the entry with a visible notice and does not block the next one", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    await store.mutate(create("bad", "   "));
    await store.mutate(create("good", "fine"));
    await flush();
    expect(h.server.mutations().map((r) => (r.body as { id: string }).id)).toEqual(["bad", "good"]);
    expect(titles(store)).toEqual(["fine"]);
    expect(store.notices()).toEqual([expect.objectContaining({ kind: "rejected" })]);
    expect(store.notices()[0]!.message).toContain("didn't go through");
    // only the accepted one is left, waiting for the feed to reach its cursor
    expect((await h.cache.readOutbox()).map((e) => [e.id, e.state])).toEqual([["good", "committed"]]);
  });

  test("a rejection queued behind others while offline doesn't hold them up on replay", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.env.online = false;
    await store.mutate(create("a", "one"));
    await store.mutate(create("bad", ""));
    await store.mutate(create("c", "three"));
    h.server.failNext(errorReply(400, "malformed_request"), (r) => (r.body as { id?: string })?.id === "a");
    h.env.emit("online");
    await flush();
    expect(h.server.mutations().map((r) => (r.body as { id: string }).id)).toEqual(["a", "bad", "c"]);
    expect(titles(store)).toEqual(["three"]);
    expect(store.notices()).toHaveLength(2);
  });

  test("409 version_conflict adopts details.current and tells the user", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "original" });
    const store = await startStore(h);
    h.server.upsert("inbox_item", "a", { title: "changed elsewhere" }); // v2, not yet pulled
    await store.mutate(edit("a", "my edit", 1));
    expect(titles(store)).toEqual(["my edit"]);
    await flush();
    const req = h.server.mutations()[0]!;
    expect(req.headers.get("if-match")).toBe('"1"');
    expect(store.get("inbox_item", "a")).toMatchObject({ title: "changed elsewhere", version: 2 });
    expect(store.notices()).toEqual([expect.objectContaining({ kind: "conflict" })]);
    expect(store.status().pending).toBe(0);

    // The losing edit is kept; restoring it sends it again over the winner, guarded by v2.
    const [notice] = store.notices();
    expect(notice!.mine).toMatchObject({ entity: "inbox_item", id: "a", method: "PUT" });
    expect(notice!.message).toContain("Your version is kept here");
    await restoreMine(store, notice!.id);
    expect(store.notices()).toEqual([]);
    expect(titles(store)).toEqual(["my edit"]);
    await flush();
    const again = h.server.mutations()[1]!;
    expect(again.headers.get("if-match")).toBe('"2"');
    expect(store.get("inbox_item", "a")).toMatchObject({ title: "my edit", version: 3 });
    expect(store.status().pending).toBe(0);
  });

  test("an undo queued after a write that is then refused is dropped unsent (it would undo someone else's change)", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "original" });
    const store = await startStore(h);
    h.server.upsert("inbox_item", "a", { title: "changed elsewhere" }); // v2: the edit below will lose
    h.env.online = false;
    await store.mutate({ ...edit("a", "my edit", 1), key: "edit-key" });
    const undo: Mutation<"inbox_item"> = {
      method: "POST",
      path: "/api/history/undo",
      body: { entity: "inbox_item", id: "a", version: 2 },
      entity: "inbox_item",
      id: "a",
      optimistic: { op: "upsert", data: inboxItem("a", "original", 2) },
      label: "Undo: Edit",
      after: "edit-key",
    };
    await store.mutate(undo);
    // An undo of the undo goes with it.
    await store.mutate({ ...undo, key: "redo", after: (await h.cache.readOutbox())[1]!.key });
    expect(store.status().pending).toBe(3);
    h.env.online = true;
    h.env.emit("online");
    await flush();
    expect(h.server.mutations().map((r) => r.path)).toEqual(["/api/user/inbox/a"]);
    expect(store.get("inbox_item", "a")).toMatchObject({ title: "changed elsewhere", version: 2 });
    expect(store.status().pending).toBe(0);
    expect(await h.cache.readOutbox()).toEqual([]);
  });

  test("a 404 on an edit forgets the record and says so", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "here" });
    const store = await startStore(h);
    h.server.records.delete("inbox_item:a"); // deleted elsewhere, feed not yet pulled
    await store.mutate(edit("a", "too late"));
    await flush();
    expect(titles(store)).toEqual([]);
    expect(store.notices()[0]).toMatchObject({ kind: "rejected" });
    expect(store.notices()[0]!.message).toContain("no longer exists");
  });

  test("a 401 pauses the outbox, keeps it, and reports the lost session", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    let signedOut = 0;
    store.onUnauthorized(() => signedOut++);
    h.server.failNext(errorReply(401, "unauthorized"));
    await store.mutate(create("a", "kept"));
    await flush();
    expect(signedOut).toBe(1);
    expect(await h.cache.readOutbox()).toHaveLength(1);
    await h.clock.advance(600_000);
    expect(h.server.mutations()).toHaveLength(1);
  });
});

describe("outages", () => {
  test("a network error keeps the entry and retries with growing backoff, same key", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    const t0 = h.clock.now;
    await store.mutate(create("a", "x"));
    await h.clock.advance(6_000);
    // random() = 0.5 → ¾ of 1 s, 2 s, 4 s
    expect(h.server.mutations().map((r) => r.at - t0)).toEqual([0, 750, 2_250, 5_250]);
    expect(new Set(h.server.mutations().map((r) => r.headers.get("idempotency-key"))).size).toBe(1);
    expect(store.status()).toMatchObject({ pending: 1, mode: "offline" });
    expect((await h.cache.readOutbox())[0]!.attempts).toBe(4);
  });

  test.each([
    [503, "database_unavailable"],
    [429, "rate_limited"],
  ])("%i with Retry-After keeps the entry and waits that long", async (status, code) => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.failNext(errorReply(status, code, { "Retry-After": "5" }), (r) => r.method === "POST");
    const t0 = h.clock.now;
    await store.mutate(create("a", "x"));
    await h.clock.advance(4_999);
    expect(h.server.mutations()).toHaveLength(1);
    expect(store.status().pending).toBe(1);
    await h.clock.advance(1);
    const [first, retry] = h.server.mutations();
    expect(retry!.at - t0).toBe(5_000);
    expect(retry!.headers.get("idempotency-key")).toBe(first!.headers.get("idempotency-key"));
    expect(store.status().pending).toBe(0);
    expect(store.notices()).toEqual([]);
  });

  test("409 idempotency_in_progress is retried, not dropped", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.failNext(errorReply(409, "idempotency_in_progress"), (r) => r.method === "POST");
    await store.mutate(create("a", "x"));
    await h.clock.advance(1_000);
    expect(h.server.mutations()).toHaveLength(2);
    expect(store.notices()).toEqual([]);
    expect(titles(store)).toEqual(["x"]);
  });

  test("a 500 without Retry-After is retried with backoff", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.failNext(errorReply(500, "internal_error"), (r) => r.method === "POST");
    await store.mutate(create("a", "x"));
    await h.clock.advance(749);
    expect(h.server.mutations()).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.server.mutations()).toHaveLength(2);
    expect(store.status().pending).toBe(0);
  });

  test("a new mutation during a Retry-After wait doesn't cut the wait short", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.failNext(errorReply(429, "rate_limited", { "Retry-After": "30" }), (r) => r.method === "POST");
    await store.mutate(create("a", "one"));
    await h.clock.advance(1_000);
    await store.mutate(create("b", "two"));
    await h.clock.advance(1_000);
    expect(h.server.mutations()).toHaveLength(1);
    await h.clock.advance(28_000);
    expect(h.server.mutations().map((r) => (r.body as { id: string }).id)).toEqual(["a", "a", "b"]);
  });

  test("coming back online retries at once instead of waiting out the backoff", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    await store.mutate(create("a", "x"));
    await h.clock.advance(60_000); // backoff is now tens of seconds
    const n = h.server.mutations().length;
    h.server.down = false;
    h.env.emit("online");
    await flush();
    expect(h.server.mutations()).toHaveLength(n + 1);
    expect(store.status().pending).toBe(0);
  });

  test("nothing is sent while the device is offline", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.env.emit("offline");
    await store.mutate(create("a", "x"));
    await h.clock.advance(600_000);
    expect(h.server.mutations()).toHaveLength(0);
    expect(store.status()).toMatchObject({ pending: 1, mode: "offline" });
  });
});

describe("retiring optimistic state", () => {
  test("a committed write stays in the outbox until the feed reaches its X-Sync-Cursor", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "one" });
    const store = await startStore(h);
    h.server.upsert("inbox_item", "other", { title: "elsewhere" }); // cursor 2, not pulled
    await store.mutate(edit("a", "mine"));
    await flush();
    expect(h.server.mutations()).toHaveLength(1);
    const [entry] = await h.cache.readOutbox();
    expect(entry).toMatchObject({ state: "committed", sync_cursor: "3" });
    expect(store.status().pending).toBe(0);
    // the server's answer stands in meanwhile
    expect(store.get("inbox_item", "a")).toMatchObject({ title: "mine", version: 2 });

    store.pullNow();
    await flush();
    expect(await h.cache.readOutbox()).toEqual([]);
    expect(titles(store)).toEqual(["elsewhere", "mine"]);
  });

  test("a feed position short of the write's cursor does not retire it", async () => {
    const h = harness({ device: DESKTOP });
    h.server.upsert("inbox_item", "a", { title: "one" });
    const store = await startStore(h);
    const ws = h.server.sockets.at(-1)!;
    h.server.live = false;
    h.server.upsert("inbox_item", "other", { title: "elsewhere" }); // 2
    await store.mutate(remove("a")); // 3, 204 with X-Sync-Cursor
    await flush();
    expect(titles(store)).toEqual([]);
    const [c2, c3] = h.server.log.slice(1);
    ws.receive({ type: "changes", prev: "1", cursor: "2", changes: [c2!] });
    await flush();
    expect(await h.cache.readOutbox()).toHaveLength(1);
    expect(titles(store)).toEqual(["elsewhere"]); // a still hidden, not flickering back
    ws.receive({ type: "changes", prev: "2", cursor: "3", changes: [c3!] });
    await flush();
    expect(await h.cache.readOutbox()).toEqual([]);
    expect(titles(store)).toEqual(["elsewhere"]);
    expect((await h.cache.load()).records.map((r) => r.id)).toEqual(["other"]);
  });

  test("a write whose cursor the feed already passed settles at once", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "one" });
    h.server.upsert("inbox_item", "b", { title: "two" });
    const store = await startStore(h); // cursor 2
    h.server.failNext(
      { status: 200, body: inboxItem("a", "late", 1), headers: { "X-Sync-Cursor": "1" } },
      (r) => r.method === "PUT",
    );
    await store.mutate(edit("a", "late"));
    await flush();
    expect(await h.cache.readOutbox()).toEqual([]);
  });
});
