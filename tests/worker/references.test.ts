import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { as, signup, type TestUser } from "../support/api";
import { uploadAudio, wav } from "../support/audio";
import { openSocket } from "../support/socket";
import { openOwnerDb } from "../support/db";

const titles = async (u: TestUser, query = "") =>
  (await as(u).get(`/api/references${query}`)).body.items.map((r: any) => r.title);

describe("references", () => {
  test("create, read, update, delete; tags normalised; nulls clear; validation", async () => {
    const u = await signup();
    const file = (await uploadAudio(u.token, wav(1), "take 3.wav")).body;
    const created = await as(u).post("/api/references", {
      title: "  Voicing notes ",
      content: "Drop-2 voicings over the bridge.",
      url: "https://example.test/voicings",
      category: "harmony",
      tags: ["Jazz", "jazz", "piano"],
      audio_id: file.id,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: "Voicing notes",
      content: "Drop-2 voicings over the bridge.",
      url: "https://example.test/voicings",
      category: "harmony",
      tags: ["jazz", "piano"],
      pinned: false,
      archived: false,
      audio_id: file.id,
      version: 1,
    });
    expect(created.body).not.toHaveProperty("search");
    const id = created.body.id;
    expect((await as(u).get(`/api/references/${id}`)).body).toEqual(created.body);
    const updated = await as(u).put(`/api/references/${id}`, {
      pinned: true,
      url: null,
      category: null,
      audio_id: null,
      tags: [],
    });
    expect(updated.body).toMatchObject({
      pinned: true,
      url: null,
      category: null,
      audio_id: null,
      tags: [],
      title: "Voicing notes",
      version: 2,
    });
    expect(updated.headers.get("etag")).toBe('"2"');
    expect((await as(u).del(`/api/references/${id}`)).status).toBe(204);
    expect((await as(u).get(`/api/references/${id}`)).status).toBe(404);

    for (const bad of [
      {},
      { title: "" },
      { title: "x".repeat(501) },
      { title: "ok", url: "javascript:alert(1)" },
      { title: "ok", content: 5 },
      { title: "ok", tags: ["x".repeat(51)] },
      { title: "ok", pinned: "yes" },
      { title: "ok", audio_id: "nope" },
      { title: "ok", category: "" },
      { title: "ok", extra: 1 },
    ])
      expect((await as(u).post("/api/references", bad)).status, JSON.stringify(bad)).toBe(422);
    const other = await signup();
    const theirs = (await uploadAudio(other.token, wav(1))).body;
    expect((await as(u).post("/api/references", { title: "ok", audio_id: theirs.id })).status).toBe(404);
    const mine = (await as(u).post("/api/references", { title: "mine" })).body;
    for (const r of [
      await as(other).get(`/api/references/${mine.id}`),
      await as(other).put(`/api/references/${mine.id}`, { title: "x" }),
      await as(other).del(`/api/references/${mine.id}`),
    ])
      expect(r.status).toBe(404);
    expect((await as(other).get("/api/references")).body.total).toBe(0);
  });

  test("list: pinned first, archived hidden unless asked, category and tag filters, pagination", async () => {
    const u = await signup();
    const add = (title: string, extra: object = {}) => as(u).post("/api/references", { title, ...extra });
    await add("old note", { category: "ideas", tags: ["a"] });
    await add("pinned link", { pinned: true, category: "links", url: "https://example.test" });
    await add("archived thing", { archived: true, tags: ["a"] });
    await add("new note", { category: "ideas", tags: ["B"] });
    expect(await titles(u)).toEqual(["pinned link", "new note", "old note"]);
    expect(await titles(u, "?archived=true")).toEqual(["archived thing"]);
    expect(await titles(u, "?archived=all")).toEqual(["pinned link", "new note", "archived thing", "old note"]);
    expect(await titles(u, "?category=ideas")).toEqual(["new note", "old note"]);
    expect(await titles(u, "?tag=A")).toEqual(["old note"]);
    expect(await titles(u, "?tag=a&archived=all")).toEqual(["archived thing", "old note"]);
    const page = await as(u).get("/api/references?page=2&page_size=2");
    expect(page.body).toMatchObject({ page: 2, page_size: 2, total: 3 });
    expect(page.body.items.map((r: any) => r.title)).toEqual(["old note"]);
    for (const q of ["archived=maybe", "page=0", "page_size=101", "bogus=1", `q=${"x".repeat(201)}`])
      expect((await as(u).get(`/api/references?${q}`)).status, q).toBe(400);
  });

  test("q: full-text over title and content, word prefixes, all words, ranked; backed by the GIN index", async () => {
    const u = await signup();
    const add = (title: string, content: string, extra: object = {}) =>
      as(u).post("/api/references", { title, content, ...extra });
    await add("Counterpoint basics", "Species counterpoint, first to fifth species.");
    await add("Mixing checklist", "Check the low end; compose the arrangement before mixing.");
    await add("Composition journal", "Daily sketches. Harmony first, then counterpoint.", { pinned: true });
    await add("Grocery list", "Eggs, milk, Ünïcödé café");
    expect(await titles(u, "?q=counterpoint")).toEqual(["Composition journal", "Counterpoint basics"]); // pinned first
    expect(await titles(u, "?q=COMP")).toEqual(["Composition journal", "Mixing checklist"]); // prefix, case-insensitive
    expect(await titles(u, "?q=species%20fifth")).toEqual(["Counterpoint basics"]); // every word
    expect(await titles(u, "?q=caf")).toEqual(["Grocery list"]);
    expect(await titles(u, "?q=mixing")).toEqual(["Mixing checklist"]);
    // Accents fold both ways; tags and the category are searched too.
    expect(await titles(u, "?q=cafe%20unicode")).toEqual(["Grocery list"]);
    await add("Café ☕ playlist notes", "lo-fi", { tags: ["Productivity"], category: "Música" });
    expect(await titles(u, "?q=cafe")).toEqual(["Café ☕ playlist notes", "Grocery list"]);
    expect(await titles(u, "?q=" + encodeURIComponent("CAFÉ"))).toHaveLength(2);
    expect(await titles(u, "?q=productivity")).toEqual(["Café ☕ playlist notes"]);
    expect(await titles(u, "?q=musica")).toEqual(["Café ☕ playlist notes"]);
    expect(
      (await as(u).del(`/api/references/${(await as(u).get("/api/references?q=playlist")).body.items[0].id}`)).status,
    ).toBe(204);
    expect(await titles(u, "?q=nothing-like-this")).toEqual([]);
    expect(await titles(u, "?q=" + encodeURIComponent("'):* | !(&"))).toHaveLength(4); // no words: no filter, no error
    // Title matches rank above content matches.
    await add("Arrangement ideas", "none");
    expect((await titles(u, "?q=arrangement"))[0]).toBe("Arrangement ideas");
    const other = await signup();
    expect(await titles(other, "?q=counterpoint")).toEqual([]);

    const handle = openOwnerDb();
    try {
      const plan = await handle.db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        return tx.execute(
          sql`explain select id from reference_items where search @@ to_tsquery('simple', 'counterpoint:*')`,
        );
      });
      expect(JSON.stringify(plan.rows)).toContain("reference_items_search_idx");
    } finally {
      await handle.close();
    }
  });

  test("idempotent replay, client ids, 409 on stale versions, sync to a second socket", async () => {
    const u = await signup();
    const tablet = await openSocket(u.token, "tablet");
    await tablet.next((m) => m.type === "hello");
    const key = { "idempotency-key": crypto.randomUUID() };
    const id = crypto.randomUUID();
    const first = await as(u).post("/api/references", { id, title: "Once" }, key);
    expect(first.status).toBe(201);
    const replay = await as(u).post("/api/references", { id, title: "Once" }, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect((await as(u).post("/api/references", { id, title: "Once" })).status).toBe(200); // same client id, same content
    expect((await as(u).post("/api/references", { id, title: "Other" })).status).toBe(409);
    expect((await as(u).get("/api/references")).body.total).toBe(1);
    const live = await tablet.next((m) => m.type === "changes");
    expect(live.changes).toEqual([
      expect.objectContaining({ entity: "reference", op: "upsert", id, data: first.body }),
    ]);

    expect((await as(u).put(`/api/references/${id}`, { archived: true }, { "if-match": '"1"' })).status).toBe(200);
    const stale = await as(u).put(`/api/references/${id}`, { title: "Mine" }, { "if-match": '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: "version_conflict",
      details: { current: { archived: true, version: 2 } },
    });
    expect((await as(u).del(`/api/references/${id}`, { "if-match": '"1"' })).status).toBe(409);
    expect((await tablet.next((m) => m.type === "changes")).changes[0].data).toMatchObject({
      archived: true,
      version: 2,
    });
    expect((await as(u).del(`/api/references/${id}`)).status).toBe(204);
    expect((await tablet.next((m) => m.type === "changes")).changes[0]).toMatchObject({
      entity: "reference",
      op: "delete",
      id,
      data: null,
    });
    tablet.close();
  });
});
