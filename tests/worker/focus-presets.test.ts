/**
 * Focus presets (workers/protocol/focus-presets.ts): a declared type with no
 * route module of its own, so everything here comes from the declaration —
 * the CRUD routes, validation from LIMITS, the library reference check, the
 * change feed, the quota trigger.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { LIMITS, QUOTAS } from "../../workers/protocol/rules";
import { as, lastChangeOf, signup } from "../support/api";
import { dbRows } from "../support/db";

const P = "/api/focus/presets";

describe("focus presets", () => {
  test("create, read, update, delete; synced; stale version is 409", async () => {
    const u = await signup();
    const created = await as(u).post(P, { name: "  Deep work ", minutes: 50, soundscape: "rain" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Deep work", minutes: 50, soundscape: "rain", library_id: null });
    expect(created.headers.get("etag")).toBe('"1"');
    const id = created.body.id;
    expect((await as(u).get(`${P}/${id}`)).body).toEqual(created.body);
    expect((await as(u).get(P)).body).toMatchObject({ items: [created.body], total: 1 });

    const renamed = await as(u).put(`${P}/${id}`, { name: "Sprint", minutes: 25, version: 1 });
    expect(renamed.body).toMatchObject({ name: "Sprint", minutes: 25, soundscape: "rain", version: 2 });
    expect((await as(u).put(`${P}/${id}`, { minutes: 30, version: 1 })).status).toBe(409);
    expect(await lastChangeOf(u, "focus_preset")).toMatchObject({
      op: "upsert",
      id,
      data: renamed.body,
    });

    expect((await as(u).del(`${P}/${id}`, { "if-match": '"2"' })).status).toBe(204);
    expect((await as(u).get(`${P}/${id}`)).status).toBe(404);
    expect(await lastChangeOf(u, "focus_preset")).toMatchObject({ op: "delete", id });
  });

  test("validation from LIMITS: 422 and nothing written", async () => {
    const u = await signup();
    const { minDurationS, maxDurationS } = LIMITS.focus;
    for (const bad of [
      {},
      { name: "x" },
      { minutes: 25 },
      { name: "", minutes: 25 },
      { name: "x".repeat(LIMITS.focusPreset.name + 1), minutes: 25 },
      { name: "x", minutes: minDurationS / 60 - 1 },
      { name: "x", minutes: maxDurationS / 60 + 1 },
      { name: "x", minutes: 2.5 },
      { name: "x", minutes: 25, soundscape: "jazz" },
      { name: "x", minutes: 25, library_id: "nope" },
      { name: "x", minutes: 25, extra: true },
    ])
      expect((await as(u).post(P, bad)).status, JSON.stringify(bad)).toBe(422);
    const edge = await as(u).post(P, { name: "x".repeat(LIMITS.focusPreset.name), minutes: maxDurationS / 60 });
    expect(edge.status).toBe(201);
    expect((await as(u).put(`${P}/${edge.body.id}`, { minutes: 0 })).status).toBe(422);
    expect((await as(u).get(P)).body.total).toBe(1);
  });

  test("a library must be the user's own: another user's is 404, own is kept", async () => {
    const [u, other] = await Promise.all([signup(), signup()]);
    const theirs = (await as(other).post("/api/focus/libraries", { name: "theirs" })).body.id;
    const mine = (await as(u).post("/api/focus/libraries", { name: "mine" })).body.id;
    const refused = await as(u).post(P, { name: "x", minutes: 25, library_id: theirs });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe("not_found");
    const ok = await as(u).post(P, { name: "x", minutes: 25, library_id: mine });
    expect(ok.body.library_id).toBe(mine);
    expect((await as(u).put(`${P}/${ok.body.id}`, { library_id: theirs })).status).toBe(404);
    expect((await as(u).put(`${P}/${ok.body.id}`, { library_id: null })).body.library_id).toBeNull();
  });

  test("deleting a library clears it from the presets that play it, as a synced edit", async () => {
    const user = await signup();
    const u = as(user);
    const lib = (await u.post("/api/focus/libraries", { name: "gone soon" })).body.id;
    const other = (await u.post("/api/focus/libraries", { name: "stays" })).body.id;
    const playing = (await u.post(P, { name: "a", minutes: 25, soundscape: "rain", library_id: lib })).body;
    const untouched = (await u.post(P, { name: "b", minutes: 25, library_id: other })).body;
    expect((await u.del(`/api/focus/libraries/${lib}`)).status).toBe(204);
    const after = (await u.get(`${P}/${playing.id}`)).body;
    expect(after).toMatchObject({ library_id: null, soundscape: "rain", version: playing.version + 1 });
    expect((await u.get(`${P}/${untouched.id}`)).body).toMatchObject({ library_id: other, version: untouched.version });
    expect(await lastChangeOf(user, "focus_preset")).toMatchObject({
      id: playing.id,
      op: "upsert",
      version: playing.version + 1,
      data: { library_id: null },
    });
  });

  test("quota: the last slot is taken, the next is 413 with the limit", async () => {
    const u = await signup();
    await dbRows(sql`insert into focus_presets (id, user_id, name, minutes)
      select gen_random_uuid(), ${u.id}, 'x', 25 from generate_series(1, ${QUOTAS.focus_presets - 1})`);
    expect((await as(u).post(P, { name: "last", minutes: 25 })).status).toBe(201);
    const over = await as(u).post(P, { name: "over", minutes: 25 });
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({
      code: "quota_exceeded",
      details: { resource: "focus_presets", limit: QUOTAS.focus_presets },
    });
  });
});
