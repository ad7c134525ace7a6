/**
 * A multi-page pull of the change feed (SPEC §4) that meets the hourly
 * compaction: the walk token (`walk`, workers/routes/sync.ts) lets a walk that
 * began above the floor finish, with every delete it needs, even when the
 * floor rises mid-walk or already sits above the first page's cursor; a
 * cursor without one keeps the 410 rule. Time travel by backdating the user's
 * own log rows as the owner; every compaction is scoped to the test's user.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { COMPACTION_WINDOW_MS, pruneChangeLog } from "../../workers/jobs/prune";
import { as, signup, type TestUser } from "../support/api";
import { dbRows, withOwnerDb } from "../support/db";

type Change = { cursor: string; entity: string; id: string; op: "upsert" | "delete"; version: number };

const seqsOf = async (userId: string, recordId: string) =>
  (
    await dbRows<{ seq: string }>(
      sql`select seq::text from change_log where user_id = ${userId} and record_id = ${recordId} order by seq`,
    )
  ).map((r) => r.seq);

const backdate = (userId: string, seqs: string[], days: number) =>
  withOwnerDb((db) =>
    db.execute(sql`update change_log set created_at = created_at - ${`${days} days`}::interval
      where user_id = ${userId} and seq = any(${`{${seqs.join(",")}}`}::bigint[])`),
  );

const compact = (userId: string) =>
  withOwnerDb((db) => pruneChangeLog(db, 30, { userId, windowMs: COMPACTION_WINDOW_MS }));

const page = (u: TestUser, since: string | null, limit: number, walk?: string) =>
  as(u).get(`/api/sync/changes?limit=${limit}${since === null ? "" : `&since=${since}`}${walk ? `&walk=${walk}` : ""}`);

/** A device's records after applying the changes in order: entity:id → version (a delete removes). */
function replay(changes: Change[], into = new Map<string, number>()): Map<string, number> {
  for (const c of changes)
    if (c.op === "delete") into.delete(`${c.entity}:${c.id}`);
    else into.set(`${c.entity}:${c.id}`, c.version);
  return into;
}

/** Walks the whole feed from `since` with the walk token, as a client following SPEC §4 and the token does. */
async function walkAll(u: TestUser, since: string | null, limit: number, walk?: string) {
  const changes: Change[] = [];
  for (;;) {
    const r = await page(u, since, limit, walk);
    expect(r.status).toBe(200);
    changes.push(...r.body.changes);
    if (!r.body.has_more) return changes;
    expect(r.body.walk).toMatch(/^\d+\.\d+$/);
    ({ cursor: since, walk } = r.body);
  }
}

describe("a walk of the change feed and the compaction", () => {
  test("a compaction that raises the floor mid-walk: the walk completes with the delete; without its token, 410", async () => {
    const u = await signup(); // 3 entries (SIGNUP_ENTITIES)
    const a = (await as(u).post("/api/user/inbox", { title: "a" })).body;
    const b = (await as(u).post("/api/user/inbox", { title: "b" })).body;
    const d = (await as(u).post("/api/user/inbox", { title: "deleted later" })).body;
    expect((await as(u).del(`/api/user/inbox/${d.id}`)).status).toBe(204);
    const e = (await as(u).post("/api/user/inbox", { title: "e" })).body;

    // The first page ends on d's create: the walker now holds d.
    const first = await page(u, null, 6);
    expect(first.status).toBe(200);
    expect(first.body.has_more).toBe(true);
    expect(first.body.changes.at(-1)).toMatchObject({ id: d.id, op: "upsert" });
    const held = replay(first.body.changes);
    expect(held.has(`inbox_item:${d.id}`)).toBe(true);

    // Meanwhile d's create and delete pass the retention and the hourly compaction runs:
    // the create goes (superseded), the delete is past the retention — the floor rose above the walker.
    await backdate(u.id, await seqsOf(u.id, d.id), 30.04);
    expect(await compact(u.id)).toEqual({ superseded: 1, tombstones: 0 });
    const stale = await page(u, first.body.cursor, 6);
    expect(stale.status).toBe(410);
    expect(stale.body.error.code).toBe("cursor_expired");

    // With the token the walk carries on, meets d's delete and ends where the server is.
    const rest = await walkAll(u, first.body.cursor, 6, first.body.walk);
    expect(rest.find((c) => c.id === d.id)).toMatchObject({ op: "delete" });
    replay(rest, held);
    expect(held.has(`inbox_item:${d.id}`)).toBe(false);
    for (const r of [a, b, e]) expect(held.get(`inbox_item:${r.id}`)).toBe(1);
    // …the same records a device starting now would end with.
    expect(held).toEqual(replay(await walkAll(u, null, 2)));

    // Past the grace the tombstone goes too (with the floor already counting it).
    await backdate(u.id, await seqsOf(u.id, d.id), 1.1);
    expect(await compact(u.id)).toEqual({ superseded: 0, tombstones: 1 });
    expect(await seqsOf(u.id, d.id)).toEqual([]);
    expect((await page(u, first.body.cursor, 6)).status).toBe(410);
  });

  test("a walk from the start below an old floor completes; an expired, earlier or malformed token does not help", async () => {
    const u = await signup();
    const a = (await as(u).post("/api/user/inbox", { title: "a" })).body;
    const d = (await as(u).post("/api/user/inbox", { title: "gone for a month" })).body;
    await as(u).del(`/api/user/inbox/${d.id}`);
    const b = (await as(u).post("/api/user/inbox", { title: "b" })).body;
    // d was deleted 31+ days ago: its tombstone is dropped, with the create an outage left behind.
    await backdate(u.id, await seqsOf(u.id, d.id), 31.1);
    expect(await compact(u.id)).toEqual({ superseded: 0, tombstones: 1 });
    const [{ change_floor: floor }] = await dbRows<{ change_floor: string }>(
      sql`select change_floor::text from users where id = ${u.id}`,
    );

    // The first page's cursor is below the floor (the big account's case in docs/SCALING.md).
    const first = await page(u, null, 2);
    expect(Number(first.body.cursor)).toBeLessThan(Number(floor));
    expect((await page(u, first.body.cursor, 2)).status).toBe(410); // a client without the token: as before
    const all = replay([...first.body.changes, ...(await walkAll(u, first.body.cursor, 2, first.body.walk))]);
    expect(all.has(`inbox_item:${d.id}`)).toBe(false);
    expect(all.get(`inbox_item:${a.id}`)).toBe(1);
    expect(all.get(`inbox_item:${b.id}`)).toBe(1);
    expect(all.size).toBe(5); // + settings, wallet, the signup bonus

    const began = Number(first.body.walk.split(".")[0]);
    const expired = `${began - 25 * 3_600_000}.0`;
    expect((await page(u, first.body.cursor, 2, expired)).status).toBe(410);
    const later = `${began}.${Number(first.body.cursor) + 1}`; // began after this cursor
    expect((await page(u, first.body.cursor, 2, later)).status).toBe(410);
    const bad = await page(u, first.body.cursor, 2, "yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBeDefined();
  });
});
