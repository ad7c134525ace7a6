// Who decides that the server is reachable: the store. The outbox (sends) and
// the transport (pulls, socket) only report what they saw; the store turns a
// change of answer into the status and, on the way back, into an outbox flush.
import { describe, expect, test } from "vitest";
import type { Mutation } from "../../web/src/sync/store.ts";
import { DESKTOP, flush, harness, inboxItem, PHONE, startStore } from "./harness.ts";

const capture = (id: string, title: string): Mutation<"inbox_item"> => ({
  method: "POST",
  path: "/api/user/inbox",
  body: { id, title },
  entity: "inbox_item",
  id,
  optimistic: { op: "upsert", data: inboxItem(id, title) },
  label: `Capture “${title}”`,
});

const posts = (h: ReturnType<typeof harness>) => h.server.requestsTo("/api/user/inbox", "POST");

describe("reachability belongs to the store", () => {
  test("a send that can't reach the server shows offline, though the browser says online", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    expect(store.status().mode).toBe("polling");
    h.server.down = true;
    await store.mutate(capture("a", "lost"));
    await flush();
    expect(h.env.online).toBe(true);
    expect(store.status()).toMatchObject({ mode: "offline", pending: 1 });
  });

  test("a pull that gets through flushes the outbox at once, without waiting out its backoff", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    await store.mutate(capture("a", "queued"));
    await flush();
    expect(posts(h)).toHaveLength(1); // failed; the outbox now waits ≥ 500 ms before retrying

    await h.clock.advance(100);
    h.server.down = false;
    const pullsBefore = h.server.pulls().length;
    h.env.emit("focus"); // the transport pulls on focus; the pull reports "reached"
    await flush();

    expect(h.server.pulls().length).toBe(pullsBefore + 1);
    expect(posts(h)).toHaveLength(2);
    expect(posts(h)[1]!.at).toBe(h.clock.now); // sent now, not when the backoff timer fires
    expect(store.status()).toMatchObject({ mode: "polling", pending: 0 });
  });

  test("a send that gets through ends 'offline' before the transport's next poll", async () => {
    const h = harness({ device: PHONE });
    h.server.down = true;
    const store = await startStore(h); // the first pull fails
    expect(store.status().mode).toBe("offline");
    const pulls = h.server.pulls().length;

    h.server.down = false;
    await store.mutate(capture("b", "through"));
    await flush();
    expect(store.status()).toMatchObject({ mode: "polling", pending: 0 });
    expect(h.server.pulls().length).toBe(pulls); // no poll was needed to find out
  });

  test("an open socket reports reachable too: a desktop goes live and sends what waited", async () => {
    const h = harness({ device: DESKTOP });
    h.server.down = true;
    const store = await startStore(h);
    await store.mutate(capture("c", "waiting"));
    await flush();
    expect(store.status().mode).toBe("offline");

    h.server.down = false;
    await h.clock.advance(60_000); // the reconnect timer opens a socket; hello brings a pull
    expect(store.status()).toMatchObject({ mode: "live", pending: 0 });
    expect(h.server.records.get("inbox_item:c")).toMatchObject({ title: "waiting" });
  });
});
