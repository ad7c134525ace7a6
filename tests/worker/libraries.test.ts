import { describe, expect, test } from "vitest";
import { as, signup, type TestUser } from "../support/api";
import { uploadAudio, wav } from "../support/audio";
import { openSocket } from "../support/socket";

const base = "/api/focus/libraries";
const titles = async (u: TestUser, libraryId: string) =>
  (await as(u).get(`${base}/${libraryId}`)).body.tracks.map((t: any) => [t.title, t.position]);

describe("focus libraries", () => {
  test("create, list favorites first, toggle favorite, rename, delete; validation; other users get 404", async () => {
    const u = await signup();
    const names = ["Deep work", "Rainy day", "Lo-fi"];
    const ids: string[] = [];
    for (const name of names) {
      const r = await as(u).post(base, { name, description: `${name} mix` });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ name, description: `${name} mix`, favorite: false, version: 1 });
      expect(r.headers.get("etag")).toBe('"1"');
      ids.push(r.body.id);
    }
    const fav = await as(u).post(`${base}/${ids[1]}/favorite`);
    expect(fav.body).toMatchObject({ favorite: true, version: 2 });
    const list = await as(u).get(base);
    expect(list.body).toMatchObject({ page: 1, page_size: 50, total: 3 });
    expect(list.body.items.map((l: any) => l.name)).toEqual(["Rainy day", "Lo-fi", "Deep work"]);
    expect((await as(u).get(`${base}?page=2&page_size=2`)).body.items.map((l: any) => l.name)).toEqual(["Deep work"]);
    expect((await as(u).post(`${base}/${ids[1]}/favorite`)).body).toMatchObject({ favorite: false, version: 3 });

    const renamed = await as(u).put(`${base}/${ids[0]}`, { name: "Deeper work", favorite: true });
    expect(renamed.body).toMatchObject({ name: "Deeper work", favorite: true, version: 2 });
    expect((await as(u).get(base)).body.items[0].name).toBe("Deeper work");

    const other = await signup();
    expect((await as(other).get(`${base}/${ids[0]}`)).status).toBe(404);
    expect((await as(other).post(`${base}/${ids[0]}/favorite`)).status).toBe(404);
    expect((await as(other).del(`${base}/${ids[0]}`)).status).toBe(404);
    expect((await as(other).get(base)).body.total).toBe(0);
    expect((await as(u).get(`${base}/not-a-uuid`)).status).toBe(404);

    for (const bad of [
      {},
      { name: "" },
      { name: "x".repeat(201) },
      { name: "ok", favorite: "yes" },
      { name: "ok", extra: 1 },
      { name: "ok", id: "nope" },
    ])
      expect((await as(u).post(base, bad)).status, JSON.stringify(bad)).toBe(422);
    expect((await as(u).get(`${base}?page_size=101`)).status).toBe(400);

    expect((await as(u).del(`${base}/${ids[2]}`)).status).toBe(204);
    expect((await as(u).get(`${base}/${ids[2]}`)).status).toBe(404);
    expect((await as(u).get(base)).body.total).toBe(2);
  });

  test("tracks: add (url or audio), ordered by position, reorder, insert at, delete closes the gap", async () => {
    const u = await signup();
    const lib = (await as(u).post(base, { name: "Set" })).body;
    const file = (await uploadAudio(u.token, wav(2), "rain.wav")).body;
    const add = (body: object) => as(u).post(`${base}/${lib.id}/tracks`, body);

    const a = await add({ title: "A", url: "https://radio.example/stream.mp3" });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      library_id: lib.id,
      title: "A",
      url: "https://radio.example/stream.mp3",
      audio_id: null,
      duration_s: null,
      position: 0,
      version: 1,
    });
    const b = await add({ title: "B", audio_id: file.id });
    expect(b.body).toMatchObject({ audio_id: file.id, url: null, duration_s: 2, position: 1 }); // duration from the WAV header
    const c = await add({ title: "C", url: "http://example.test/c.ogg", duration_s: 61.5 });
    expect(c.body).toMatchObject({ duration_s: 61.5, position: 2 });
    expect(await titles(u, lib.id)).toEqual([
      ["A", 0],
      ["B", 1],
      ["C", 2],
    ]);

    // Move C to the top: A and B shift down, each with a new version.
    const moved = await as(u).put(`${base}/${lib.id}/tracks/${c.body.id}`, { position: 0 });
    expect(moved.body).toMatchObject({ position: 0, version: 2 });
    const detail = (await as(u).get(`${base}/${lib.id}`)).body;
    expect(detail.tracks.map((t: any) => [t.title, t.position, t.version])).toEqual([
      ["C", 0, 2],
      ["A", 1, 2],
      ["B", 2, 2],
    ]);
    // Past the end is clamped; moving down shifts the others up.
    expect((await as(u).put(`${base}/${lib.id}/tracks/${c.body.id}`, { position: 99 })).body.position).toBe(2);
    expect(await titles(u, lib.id)).toEqual([
      ["A", 0],
      ["B", 1],
      ["C", 2],
    ]);
    // Insert at a position.
    const d = await add({ title: "D", url: "https://example.test/d.mp3", position: 1 });
    expect(d.body.position).toBe(1);
    expect(await titles(u, lib.id)).toEqual([
      ["A", 0],
      ["D", 1],
      ["B", 2],
      ["C", 3],
    ]);
    // Switching the source: audio clears url and vice versa.
    const switched = await as(u).put(`${base}/${lib.id}/tracks/${d.body.id}`, {
      audio_id: file.id,
      title: "D (local)",
    });
    expect(switched.body).toMatchObject({ audio_id: file.id, url: null, title: "D (local)" });
    expect(
      (await as(u).put(`${base}/${lib.id}/tracks/${d.body.id}`, { url: "https://example.test/d2.mp3" })).body,
    ).toMatchObject({ audio_id: null, url: "https://example.test/d2.mp3" });
    // Delete closes the gap.
    expect((await as(u).del(`${base}/${lib.id}/tracks/${b.body.id}`)).status).toBe(204);
    expect(await titles(u, lib.id)).toEqual([
      ["A", 0],
      ["D (local)", 1],
      ["C", 2],
    ]);

    for (const bad of [
      { title: "x" },
      { title: "x", url: "https://a.test/x", audio_id: file.id },
      { title: "x", url: "ftp://a.test/x" },
      { title: "x", url: "not a url" },
      { title: "", url: "https://a.test/x" },
      { title: "x", url: "https://a.test/x", duration_s: -1 },
      { title: "x", url: "https://a.test/x", position: -1 },
      { title: "x", url: "https://a.test/x", extra: true },
      // Passes zod, but a `real` column can't hold it (SQLSTATE 22003): still the input's 422, not a 500.
      { title: "x", url: "https://a.test/x", duration_s: Number.MIN_VALUE },
    ])
      expect((await add(bad)).status, JSON.stringify(bad)).toBe(422);
    expect((await as(u).put(`${base}/${lib.id}/tracks/${a.body.id}`, { duration_s: Number.MIN_VALUE })).status).toBe(
      422,
    );
    // Someone else's audio, someone else's library, a track from another library: 404.
    const other = await signup();
    const theirs = (await uploadAudio(other.token, wav(1))).body;
    expect((await add({ title: "x", audio_id: theirs.id })).status).toBe(404);
    expect((await as(other).post(`${base}/${lib.id}/tracks`, { title: "x", url: "https://a.test/x" })).status).toBe(
      404,
    );
    const lib2 = (await as(u).post(base, { name: "Other" })).body;
    expect((await as(u).put(`${base}/${lib2.id}/tracks/${a.body.id}`, { title: "moved?" })).status).toBe(404);
    expect((await as(u).del(`${base}/${lib2.id}/tracks/${a.body.id}`)).status).toBe(404);
    expect(await titles(u, lib.id)).toEqual([
      ["A", 0],
      ["D (local)", 1],
      ["C", 2],
    ]);
  });

  test("deleting a library cascades its tracks, each with a tombstone in the change feed", async () => {
    const u = await signup();
    const lib = (await as(u).post(base, { name: "Doomed" })).body;
    const t1 = (await as(u).post(`${base}/${lib.id}/tracks`, { title: "1", url: "https://a.test/1" })).body;
    const t2 = (await as(u).post(`${base}/${lib.id}/tracks`, { title: "2", url: "https://a.test/2" })).body;
    const before = (await as(u).get("/api/sync/changes")).body.cursor;
    expect((await as(u).del(`${base}/${lib.id}`, { "if-match": '"1"' })).status).toBe(204);
    const changes = (await as(u).get(`/api/sync/changes?since=${before}`)).body.changes;
    expect(changes.map((c: any) => [c.entity, c.op, c.id]).sort()).toEqual(
      [
        ["focus_library", "delete", lib.id],
        ["focus_track", "delete", t1.id],
        ["focus_track", "delete", t2.id],
      ].sort(),
    );
    expect((await as(u).get(`${base}/${lib.id}`)).status).toBe(404);
    expect((await as(u).put(`${base}/${lib.id}/tracks/${t1.id}`, { title: "x" })).status).toBe(404);
  });

  test("idempotent replay, client ids, and 409 on stale versions", async () => {
    const u = await signup();
    const key = { "idempotency-key": crypto.randomUUID() };
    const first = await as(u).post(base, { name: "Once" }, key);
    const replay = await as(u).post(base, { name: "Once" }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect((await as(u).post(base, { name: "Twice" }, key)).status).toBe(422);
    expect((await as(u).get(base)).body.total).toBe(1);
    const lib = first.body;

    // A retried create with the same client id returns the record, even after other tracks were added.
    const id = crypto.randomUUID();
    const track = { id, title: "T", url: "https://a.test/t" };
    expect((await as(u).post(`${base}/${lib.id}/tracks`, track)).status).toBe(201);
    await as(u).post(`${base}/${lib.id}/tracks`, { title: "U", url: "https://a.test/u" });
    const again = await as(u).post(`${base}/${lib.id}/tracks`, track);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id, position: 0 });
    expect((await as(u).post(`${base}/${lib.id}/tracks`, { ...track, title: "Different" })).status).toBe(409);
    expect((await as(u).get(`${base}/${lib.id}`)).body.tracks).toHaveLength(2);
    const trackKey = { "idempotency-key": crypto.randomUUID() };
    const move = await as(u).put(`${base}/${lib.id}/tracks/${id}`, { position: 1 }, trackKey);
    expect((await as(u).put(`${base}/${lib.id}/tracks/${id}`, { position: 1 }, trackKey)).body).toEqual(move.body);
    expect(move.body.version).toBe(2);

    await as(u).put(`${base}/${lib.id}`, { name: "Renamed" });
    const stale = await as(u).put(`${base}/${lib.id}`, { name: "Mine" }, { "if-match": '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: "version_conflict",
      details: { current: { name: "Renamed", version: 2 } },
    });
    expect((await as(u).post(`${base}/${lib.id}/favorite`, undefined, { "if-match": '"1"' })).status).toBe(409);
    expect((await as(u).put(`${base}/${lib.id}`, { name: "Mine", version: 1 })).status).toBe(409);
    const staleTrack = await as(u).put(`${base}/${lib.id}/tracks/${id}`, { position: 0, version: 1 });
    expect(staleTrack.status).toBe(409);
    expect(staleTrack.body.error.details.current).toMatchObject({ id, position: 1, version: 2 });
    expect((await as(u).del(`${base}/${lib.id}/tracks/${id}`, { "if-match": '"1"' })).status).toBe(409);
    expect((await as(u).del(`${base}/${lib.id}`, { "if-match": '"1"' })).status).toBe(409);
    expect((await as(u).get(`${base}/${lib.id}`)).body.tracks).toHaveLength(2); // nothing deleted by the refused delete
  });

  test("changes reach a second device's socket", async () => {
    const u = await signup();
    const phone = await openSocket(u.token, "phone");
    await phone.next((m) => m.type === "hello");
    const lib = (await as(u).post(base, { name: "Synced" }, { "x-client-id": "desktop" })).body;
    const m1 = await phone.next((m) => m.type === "changes");
    expect(m1.changes).toEqual([
      expect.objectContaining({ entity: "focus_library", op: "upsert", id: lib.id, data: lib }),
    ]);
    const t1 = (await as(u).post(`${base}/${lib.id}/tracks`, { title: "1", url: "https://a.test/1" })).body;
    expect((await phone.next((m) => m.type === "changes")).changes[0]).toMatchObject({
      entity: "focus_track",
      id: t1.id,
      data: t1,
    });
    const t2 = (await as(u).post(`${base}/${lib.id}/tracks`, { title: "2", url: "https://a.test/2" })).body;
    await phone.next((m) => m.type === "changes");
    // A reorder sends the moved track and the shifted one.
    await as(u).put(`${base}/${lib.id}/tracks/${t2.id}`, { position: 0 });
    const reorder = await phone.next((m) => m.type === "changes");
    expect(reorder.changes.map((c: any) => [c.id, c.data.position])).toEqual([
      [t2.id, 0],
      [t1.id, 1],
    ]);
    await as(u).post(`${base}/${lib.id}/favorite`);
    expect((await phone.next((m) => m.type === "changes")).changes[0].data).toMatchObject({
      id: lib.id,
      favorite: true,
    });
    phone.close();
  });
});
