/**
 * A limit is written once (LIMITS, workers/protocol/rules.ts): the API's zod
 * schemas and the tables' CHECKs (db/schema.ts `lengthCheck`) both take it
 * from there. Written directly, past zod, one character over the limit is
 * refused by Postgres, and the limit itself is stored.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { LIMITS } from "../../workers/protocol/rules";
import { as, signup } from "../support/api";
import { dbRows } from "../support/db";

/** The SQLSTATE a statement fails with (drizzle wraps the driver's error in `cause`), or "ok". */
const sqlState = (q: ReturnType<typeof sql>) =>
  dbRows(q).then(
    () => "ok",
    (e: any) => e.cause?.code ?? e.code,
  );

const CASES = [
  { path: "/api/user/inbox", table: "inbox_items", column: "title", limit: LIMITS.inbox.title },
  { path: "/api/user/inbox", table: "inbox_items", column: "description", limit: LIMITS.inbox.description },
  { path: "/api/references", table: "reference_items", column: "title", limit: LIMITS.reference.title },
  { path: "/api/references", table: "reference_items", column: "content", limit: LIMITS.reference.content },
  { path: "/api/references", table: "reference_items", column: "url", limit: LIMITS.url },
  { path: "/api/references", table: "reference_items", column: "category", limit: LIMITS.reference.category },
  { path: "/api/todos", table: "todos", column: "title", limit: LIMITS.todo.title },
] as const;

describe("CHECKs from LIMITS", () => {
  test("one character over a LIMITS length, written past zod, is refused by the database; the limit itself is kept", async () => {
    const u = await signup();
    for (const c of CASES) {
      const id = (await as(u).post(c.path, { title: "limits" })).body.id as string;
      const set = (n: number) =>
        sql`update ${sql.identifier(c.table)} set ${sql.identifier(c.column)} = repeat('x', ${n}) where id = ${id}`;
      expect([c.table, c.column, await sqlState(set(c.limit + 1))]).toEqual([c.table, c.column, "23514"]);
      expect([c.table, c.column, await sqlState(set(c.limit))]).toEqual([c.table, c.column, "ok"]);
    }
  });

  test("more tags than LIMITS.tagsPerRecord, or an empty title, are refused too", async () => {
    const u = await signup();
    for (const [path, table] of [
      ["/api/user/inbox", "inbox_items"],
      ["/api/references", "reference_items"],
    ] as const) {
      const id = (await as(u).post(path, { title: "tags" })).body.id as string;
      const tags = (n: number) => `{${Array.from({ length: n }, (_, i) => `t${i}`).join(",")}}`;
      const setTags = (n: number) =>
        sql`update ${sql.identifier(table)} set tags = ${tags(n)}::text[] where id = ${id}`;
      expect(await sqlState(setTags(LIMITS.tagsPerRecord + 1))).toBe("23514");
      expect(await sqlState(setTags(LIMITS.tagsPerRecord))).toBe("ok");
      expect(await sqlState(sql`update ${sql.identifier(table)} set title = '' where id = ${id}`)).toBe("23514");
    }
  });
});
