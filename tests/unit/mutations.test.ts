// web/src/mutations/: what each write puts on the wire and shows meanwhile.
// One module builds every mutation (mutations/record.ts), so these pin it.
import { describe, expect, test } from "vitest";
import type { FocusTrack } from "../../web/src/api/types.ts";
import { createInboxItem, updateInboxItem } from "../../web/src/mutations/inbox.ts";
import { moveTrack } from "../../web/src/mutations/libraries.ts";
import { path, quote } from "../../web/src/mutations/record.ts";
import { flush, harness, PHONE, startStore } from "./harness.ts";

const track = (over: Partial<FocusTrack> = {}): FocusTrack => ({
  id: "t/1",
  version: 3,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  library_id: "lib 1",
  title: "Rain",
  audio_id: null,
  url: "https://example.test/rain.mp3",
  duration_s: null,
  position: 0,
  ...over,
});

describe("building mutations", () => {
  test("path`` encodes each id, not the literal parts", () => {
    expect(path`/api/focus/libraries/${"lib 1"}/tracks/${"t/1"}`).toBe("/api/focus/libraries/lib%201/tracks/t%2F1");
    expect(quote("x".repeat(50))).toBe(`“${"x".repeat(39)}…”`);
  });

  test("a create shows a whole record at once (version 1, server-clock times) and posts its id", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    void createInboxItem(store, { title: "Buy milk", tags: ["errands"] });
    const [shown] = store.records("inbox_item");
    expect(shown).toMatchObject({ version: 1, title: "Buy milk", description: "", tags: ["errands"] });
    expect(shown!.created_at).toBe(new Date(store.serverNow()).toISOString());
    await flush();
    const [sent] = h.server.mutations();
    expect(sent).toMatchObject({ method: "POST", path: "/api/user/inbox" });
    expect(sent!.body).toEqual({ id: shown!.id, title: "Buy milk", description: "", tags: ["errands"] });
  });

  test("an edit is guarded with the version the user saw; a reorder is last-write-wins", async () => {
    const h = harness({ device: PHONE });
    h.server.upsert("inbox_item", "a", { title: "draft", description: "", tags: [] });
    const store = await startStore(h);
    h.server.down = true;
    const item = store.get("inbox_item", "a")!;
    await updateInboxItem(store, item, { title: "final" });
    await moveTrack(store, track(), 0, 2);
    // Shown meanwhile: one version on, and the moved track between its new neighbours.
    expect(store.get("inbox_item", "a")).toMatchObject({ title: "final", version: item.version + 1 });
    expect(store.get("focus_track", "t/1")).toMatchObject({ position: 2.5, version: 4 });

    h.server.down = false;
    h.env.emit("online");
    await flush();
    const edit = h.server.requestsTo("/api/user/inbox/a", "PUT").at(-1)!;
    const move = h.server.requestsTo("/api/focus/libraries/", "PUT").at(-1)!;
    expect(edit.headers.get("if-match")).toBe(`"${item.version}"`);
    expect(edit.body).toEqual({ title: "final" });
    expect(move.path).toBe("/api/focus/libraries/lib%201/tracks/t%2F1");
    expect(move.headers.get("if-match")).toBeNull();
    expect(move.body).toEqual({ position: 2 });
  });

  test("the outbox keeps its own copy: changing the caller's object later changes nothing queued", async () => {
    const h = harness({ device: PHONE });
    const store = await startStore(h);
    h.server.down = true;
    const t = track();
    await moveTrack(store, t, 0, 1);
    t.title = "changed by a view";
    await flush();
    expect(store.get("focus_track", "t/1")?.title).toBe("Rain");
    expect((await h.cache.readOutbox())[0]?.optimistic).toMatchObject({ op: "upsert", data: { title: "Rain" } });
  });
});
