/**
 * Saved searches (workers/protocol/saved-searches.ts): a type whose one file
 * declares its table, fields and limits — everything here is derived from
 * it: the CRUD routes, validation, the CHECKs, the change feed, row-level
 * security (scripts/migrate.ts) and the quota (a policy generated with the
 * table), exact under racing creates.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { savedSearchRecord } from "../../workers/protocol/saved-searches";
import { as, lastChangeOf, signup } from "../support/api";
import { dbRows } from "../support/db";

const P = "/api/saved-searches";
const LIMIT = savedSearchRecord.limits;

describe("saved searches", () => {
  test("create, read, update, delete; synced; a stale version is 409", async () => {
    const u = await signup();
    const created = await as(u).post(P, { name: "  Errands ", query: " #errands milk " });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Errands", query: "#errands milk", version: 1 });
    const id = created.body.id;
    expect((await as(u).get(`${P}/${id}`)).body).toEqual(created.body);
    expect((await as(u).get(P)).body).toMatchObject({ items: [created.body], total: 1 });

    const renamed = await as(u).put(`${P}/${id}`, { name: "Shopping", version: 1 });
    expect(renamed.body).toMatchObject({ name: "Shopping", query: "#errands milk", version: 2 });
    expect((await as(u).put(`${P}/${id}`, { query: "x", version: 1 })).status).toBe(409);
    expect(await lastChangeOf(u, "saved_search")).toMatchObject({
      op: "upsert",
      id,
      data: renamed.body,
    });

    expect((await as(u).del(`${P}/${id}`, { "if-match": '"2"' })).status).toBe(204);
    expect((await as(u).get(`${P}/${id}`)).status).toBe(404);
    expect(await lastChangeOf(u, "saved_search")).toMatchObject({ op: "delete", id });
  });

  test("validation from the declared limits: 422 and nothing written; the CHECKs hold the same numbers", async () => {
    const u = await signup();
    for (const bad of [
      {},
      { name: "x" },
      { query: "x" },
      { name: " ", query: "x" },
      { name: "x", query: "" },
      { name: "x".repeat(LIMIT.name + 1), query: "x" },
      { name: "x", query: "q".repeat(LIMIT.query + 1) },
      { name: "x", query: "x", extra: true },
    ])
      expect((await as(u).post(P, bad)).status, JSON.stringify(bad)).toBe(422);
    const edge = await as(u).post(P, { name: "x".repeat(LIMIT.name), query: "q".repeat(LIMIT.query) });
    expect(edge.status).toBe(201);
    expect((await as(u).get(P)).body.total).toBe(1);
    // Past zod, Postgres refuses one character more (the CHECK comes from the same constant): 23514.
    const sqlState = (q: ReturnType<typeof sql>) =>
      dbRows(q).then(
        () => "ok",
        (e: any) => e.cause?.code ?? e.code,
      );
    for (const [col, n] of [
      ["name", LIMIT.name],
      ["query", LIMIT.query],
    ] as const) {
      const set = (len: number) =>
        sql`update saved_searches set ${sql.identifier(col)} = repeat('x', ${len}) where user_id = ${u.id}`;
      expect([col, await sqlState(set(n + 1))]).toEqual([col, "23514"]);
      expect([col, await sqlState(set(n))]).toEqual([col, "ok"]);
    }
  });

  test("another user's saved search is 404 to read, change or delete", async () => {
    const [a, b] = await Promise.all([signup(), signup()]);
    const mine = (await as(a).post(P, { name: "mine", query: "secret" })).body;
    expect((await as(b).get(`${P}/${mine.id}`)).status).toBe(404);
    expect((await as(b).put(`${P}/${mine.id}`, { name: "theirs", version: 1 })).status).toBe(404);
    expect((await as(b).del(`${P}/${mine.id}`)).status).toBe(404);
    expect((await as(b).get(P)).body.total).toBe(0);
    expect((await as(a).get(`${P}/${mine.id}`)).body).toEqual(mine);
  });

  test("quota: ten racing creates for the last three slots → exactly three 201s, the rest 413 with the limit", async () => {
    const u = await signup();
    await dbRows(sql`insert into saved_searches (id, user_id, name, query)
      select gen_random_uuid(), ${u.id}, 'x', 'x' from generate_series(1, ${LIMIT.quota - 3})`);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => as(u).post(P, { name: `s${i}`, query: "q" })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 413)).toHaveLength(7);
    for (const r of results.filter((x) => x.status === 413))
      expect(r.body.error).toMatchObject({
        code: "quota_exceeded",
        details: { resource: "saved_searches", limit: LIMIT.quota },
      });
    const [{ n }] = await dbRows(sql`select count(*)::int as n from saved_searches where user_id = ${u.id}`);
    expect(n).toBe(LIMIT.quota);
    // A delete frees a slot.
    const one = (await as(u).get(P)).body.items[0];
    expect((await as(u).del(`${P}/${one.id}`)).status).toBe(204);
    expect((await as(u).post(P, { name: "again", query: "q" })).status).toBe(201);
  });
});
