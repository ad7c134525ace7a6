/**
 * The hourly change-log compaction's windowed mode (workers/jobs/prune.ts,
 * what the Cron Trigger runs since issue #22): it finds the due entries from
 * the last window's changes only — (a) entries that crossed the cutoff within
 * the window, (b) entries older than the cutoff superseded within it — and
 * leaves older gaps to the full pass. Time travel by backdating the user's
 * own log rows as the owner; every run is scoped to the test's user.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { COMPACTION_WINDOW_MS, pruneChangeLog } from "../../workers/jobs/prune";
import { as, signup } from "../support/api";
import { dbRows, withOwnerDb } from "../support/db";

const log = (userId: string) =>
  dbRows<{ seq: string; record_id: string; op: string }>(
    sql`select seq::text, record_id::text, op from change_log where user_id = ${userId} order by seq`,
  );

/** Moves the given entries of the user's log `days` into the past. */
const backdate = (userId: string, seqs: string[], days: number) =>
  withOwnerDb((db) =>
    db.execute(sql`update change_log set created_at = created_at - ${`${days} days`}::interval
      where user_id = ${userId} and seq = any(${`{${seqs.join(",")}}`}::bigint[])`),
  );

const compact = (userId: string, windowMs?: number) =>
  withOwnerDb((db) => pruneChangeLog(db, 30, { userId, ...(windowMs === undefined ? {} : { windowMs }) }));

describe("change-log compaction, windowed (the cron) vs full", () => {
  test("(a) an entry that crossed the cutoff within the window goes if superseded, stays if newest", async () => {
    const u = await signup();
    const a = (await as(u).post("/api/user/inbox", { title: "edited" })).body;
    await as(u).put(`/api/user/inbox/${a.id}`, { title: "edited, v2" }, { "if-match": '"1"' });
    const b = (await as(u).post("/api/user/inbox", { title: "kept" })).body;
    const entries = await log(u.id);
    const seqOf = (id: string, nth = 0) => entries.filter((e) => e.record_id === id)[nth]!.seq;
    // All three are 30 days + 1 hour old: inside (a)'s window [cutoff − 2 h, cutoff).
    await backdate(u.id, [seqOf(a.id, 0), seqOf(a.id, 1), seqOf(b.id)], 30.04);

    expect(await compact(u.id, COMPACTION_WINDOW_MS)).toEqual({ superseded: 1, tombstones: 0 });
    const left = (await log(u.id)).map((e) => e.seq);
    expect(left).not.toContain(seqOf(a.id, 0));
    expect(left).toContain(seqOf(a.id, 1));
    expect(left).toContain(seqOf(b.id));
    // The feed from the start still ends in the same state: a's newest version, b.
    const all = (await as(u).get("/api/sync/changes")).body.changes;
    expect(all.filter((c: any) => c.id === a.id).map((c: any) => c.version)).toEqual([2]);
  });

  test("(b) an old entry superseded by a write within the window goes; an older gap is left to the full pass", async () => {
    const u = await signup();
    const a = (await as(u).post("/api/user/inbox", { title: "old, edited now" })).body;
    const c = (await as(u).post("/api/user/inbox", { title: "old, edited long ago" })).body;
    await as(u).put(`/api/user/inbox/${c.id}`, { title: "edited 35 days ago" }, { "if-match": '"1"' });
    const before = await log(u.id);
    const first = (id: string) => before.filter((e) => e.record_id === id).map((e) => e.seq);
    // a's create and both of c's entries are 40 / 35 days old; then a is edited now.
    await backdate(u.id, [first(a.id)[0]!, first(c.id)[0]!], 40);
    await backdate(u.id, [first(c.id)[1]!], 35);
    await as(u).put(`/api/user/inbox/${a.id}`, { title: "edited now" }, { "if-match": '"1"' });

    // Windowed: a's old entry goes (b); c's superseded entry is older than both windows: left.
    expect(await compact(u.id, COMPACTION_WINDOW_MS)).toEqual({ superseded: 1, tombstones: 0 });
    let left = (await log(u.id)).map((e) => e.seq);
    expect(left).not.toContain(first(a.id)[0]);
    expect(left).toContain(first(c.id)[0]);
    // The full pass (catch-up) finds it.
    expect(await compact(u.id)).toEqual({ superseded: 1, tombstones: 0 });
    left = (await log(u.id)).map((e) => e.seq);
    expect(left).not.toContain(first(c.id)[0]);
    expect(left).toContain(first(c.id)[1]);
  });

  test("a tombstone past the retention makes older cursors stale at once, and goes after its grace", async () => {
    const u = await signup();
    const start = (await as(u).get("/api/sync/changes")).body.cursor;
    const a = (await as(u).post("/api/user/inbox", { title: "deleted" })).body;
    await as(u).del(`/api/user/inbox/${a.id}`);
    const seqs = (await log(u.id)).filter((e) => e.record_id === a.id).map((e) => e.seq);
    await backdate(u.id, seqs, 30.04);
    // The create goes (superseded); the tombstone stays for walks under way, but the cursor is already stale.
    expect(await compact(u.id, COMPACTION_WINDOW_MS)).toEqual({ superseded: 1, tombstones: 0 });
    expect((await log(u.id)).filter((e) => e.record_id === a.id).map((e) => e.seq)).toEqual([seqs[1]]);
    expect((await as(u).get(`/api/sync/changes?since=${start}`)).status).toBe(410);
    // A day later (TOMBSTONE_GRACE_MS) it goes, in either mode, raising the floor.
    await backdate(u.id, [seqs[1]!], 1.1);
    expect(await compact(u.id)).toEqual({ superseded: 0, tombstones: 1 });
    expect((await log(u.id)).filter((e) => e.record_id === a.id)).toEqual([]);
    const expired = await as(u).get(`/api/sync/changes?since=${start}`);
    expect(expired.status).toBe(410);
  });
});
