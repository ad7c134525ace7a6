/**
 * SPEC §3: every list response is bounded in bytes as well as rows. A page of
 * large records is cut before LIST_PAGE_BYTES, and its `next_cursor` carries on
 * with nothing lost or repeated — over REST and in the MCP listing tools.
 */
import { describe, expect, test } from "vitest";
import { fitBytes, LIST_PAGE_BYTES } from "../../workers/protocol/common";
import { as, signup, type TestUser } from "../support/api";
import { connectMcp } from "../support/mcp";

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

// "é" is two bytes in UTF-8: a reference at the content limit is ~200 KB of JSON.
const BIG = "é".repeat(100_000);
const COUNT = 12;

async function bigReferences(u: TestUser): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const r = await as(u).post("/api/references", { title: `big ${i} needle`, content: BIG });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  return ids.reverse(); // newest first, as the list answers
}

describe("list pages are bounded in bytes", () => {
  test("fitBytes stops at the byte itself, and always keeps one item", () => {
    const item = "x".repeat(98); // 100 bytes of JSON with its quotes
    // [a,b,c] = 2 + 3 × 100 + 2 commas = 304 bytes.
    expect(fitBytes([item, item, item], 304)).toHaveLength(3);
    expect(fitBytes([item, item, item], 303)).toHaveLength(2);
    expect(fitBytes([item, item, item], 10)).toHaveLength(1);
    expect(fitBytes([], 10)).toHaveLength(0);
  });

  test("a page of large references is cut before the cap; next_cursor continues with nothing lost or repeated", async () => {
    const u = await signup();
    const ids = await bigReferences(u);

    const first = await as(u).get("/api/references?page_size=100");
    expect(first.status).toBe(200);
    const n = first.body.items.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(COUNT);
    expect(first.body.total).toBe(COUNT);
    // Cut before the cap: what it holds fits, one more would not.
    expect(bytes(first.body.items)).toBeLessThanOrEqual(LIST_PAGE_BYTES);
    const withNext = [...first.body.items, (await as(u).get(`/api/references/${ids[n]}`)).body];
    expect(bytes(withNext)).toBeGreaterThan(LIST_PAGE_BYTES);
    expect(first.body.next_cursor).toEqual(expect.any(String));

    const seen: string[] = first.body.items.map((r: { id: string }) => r.id);
    let cursor: string | null = first.body.next_cursor;
    while (cursor) {
      const page = await as(u).get(`/api/references?page_size=100&cursor=${cursor}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeGreaterThan(0);
      expect(bytes(page.body.items)).toBeLessThanOrEqual(LIST_PAGE_BYTES);
      seen.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(ids);

    // A page cut by rows says where to go on too; the last page says null.
    const byRows = await as(u).get("/api/references?page_size=3");
    expect(byRows.body.items).toHaveLength(3);
    expect(byRows.body.next_cursor).toBe("o3");
    expect((await as(u).get(`/api/references?page_size=3&page=4`)).body.next_cursor).toBeNull();
    // The cursor a page gave is where the page-number walk goes on as well.
    const fromCursor = await as(u).get("/api/references?page_size=3&cursor=o3");
    expect(fromCursor.body.items).toEqual((await as(u).get("/api/references?page_size=3&page=2")).body.items);

    for (const bad of ["x", "o", "o-1", "o1e3", "o1234567890"]) {
      const r = await as(u).get(`/api/references?cursor=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe("invalid_query");
    }
  });

  test("the MCP search tool answers at most the same byte cap", async () => {
    const u = await signup();
    await bigReferences(u);
    const client = await connectMcp(u.token);
    const result = await client.callTool({ name: "search_references", arguments: { query: "needle" } });
    const text = (result.content as { type: string; text: string }[])[0]!.text;
    const body = JSON.parse(text);
    expect(body.total).toBe(COUNT);
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.length).toBeLessThan(COUNT);
    expect(bytes(body.items)).toBeLessThanOrEqual(LIST_PAGE_BYTES);
    await client.close();
  });
});
