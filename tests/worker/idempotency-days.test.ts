/**
 * Idempotency keys partitioned by the day of their claim (db/migrations/0046):
 * a key stays unique per user across days — a retry after midnight is still a
 * replay, never a second write — and expired days leave by dropping their
 * partition (workers/jobs/prune.ts dropKeyPartitions), not row by row.
 */
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { dropKeyPartitions } from "../../workers/jobs/prune";
import { as, signup } from "../support/api";
import { dbRows, withOwnerDb } from "../support/db";

const DAY = 86_400_000;
const utcDay = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);
const partition = (day: string) => `idempotency_keys_p${day.replaceAll("-", "")}`;
const exists = async (table: string) =>
  (await dbRows<{ t: string | null }>(sql`select to_regclass(${table})::text as t`))[0]!.t !== null;

describe("idempotency keys by day", () => {
  test("a key claimed yesterday still replays today (and refuses another request); one record is written", async () => {
    const u = await signup();
    const key = crypto.randomUUID();
    const first = await as(u).post("/api/user/inbox", { title: "once" }, { "idempotency-key": key });
    expect(first.status).toBe(201);
    // Wait for the stored response (written after the answer), then move the key into yesterday's partition.
    await expect
      .poll(
        async () =>
          (await dbRows(sql`select status from idempotency_keys where user_id = ${u.id} and key = ${key}`))[0]?.status,
        { timeout: 10_000 },
      )
      .toBe(201);
    await dbRows(sql`update idempotency_keys set claimed_on = ${utcDay(-1)}::date
      where user_id = ${u.id} and key = ${key}`);
    const [moved] = await dbRows<{ part: string }>(
      sql`select tableoid::regclass::text as part from idempotency_keys where user_id = ${u.id} and key = ${key}`,
    );
    expect(moved!.part).toBe(partition(utcDay(-1)));

    const again = await as(u).post("/api/user/inbox", { title: "once" }, { "idempotency-key": key });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const other = await as(u).post("/api/user/inbox", { title: "another" }, { "idempotency-key": key });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    // Parallel retries across the two days: still one record, one key row.
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => as(u).post("/api/user/inbox", { title: "once" }, { "idempotency-key": key })),
    );
    for (const r of burst) expect(r.status).toBe(201);
    const items = (await as(u).get("/api/user/inbox")).body.items;
    expect(items.filter((i: { title: string }) => i.title === "once")).toHaveLength(1);
    expect(await dbRows(sql`select 1 from idempotency_keys where user_id = ${u.id} and key = ${key}`)).toHaveLength(1);
  });

  test("days that ended a TTL ago are dropped whole; younger days, today's and the days ahead stay", async () => {
    const u = await signup();
    await withOwnerDb((db) => db.execute(sql`select continuum_key_partitions(${utcDay(-3)}::date, 3)`));
    for (const [day, k] of [
      [utcDay(-3), "three days ago"],
      [utcDay(-2), "two days ago"],
      [utcDay(-1), "yesterday"],
    ] as const)
      await dbRows(sql`insert into idempotency_keys (user_id, key, request_hash, status, created_at, claimed_on)
        values (${u.id}, ${k}, 'h', 201, ${day}::date + interval '12 hours', ${day}::date)`);

    const dropped = await withOwnerDb((db) => dropKeyPartitions(db));
    expect(dropped.partitions).toBeGreaterThanOrEqual(2);
    expect(await exists(partition(utcDay(-3)))).toBe(false);
    expect(await exists(partition(utcDay(-2)))).toBe(false);
    // Yesterday ended less than 24 h ago: its keys are kept (each at least the TTL).
    expect(await exists(partition(utcDay(-1)))).toBe(true);
    const left = await dbRows<{ key: string }>(sql`select key from idempotency_keys where user_id = ${u.id}`);
    expect(left.map((r) => r.key)).toEqual(["yesterday"]);
    for (const d of [0, 1, 2, 3]) expect(await exists(partition(utcDay(d)))).toBe(true);
    // The drop function drops nothing but a daily partition of this table.
    const [refused] = await withOwnerDb(
      async (db) => (await db.execute(sql`select continuum_key_partition_drop('users') as ok`)).rows,
    );
    expect((refused as { ok: boolean }).ok).toBe(false);
  });

  test("making and dropping a day's partition and keyed writes wait for each other, never deadlock", async () => {
    // Partition DDL locks idempotency_keys only (no foreign key to users any more, db/migrations/0046): with one it deadlocked with these writes.
    const u = await signup();
    const stop = new AbortController();
    let rounds = 0;
    const ddlErrors: string[] = [];
    const ddl = withOwnerDb(async (db) => {
      while (!stop.signal.aborted) {
        rounds++;
        try {
          await db.execute(sql`select continuum_key_partitions('2021-02-07'::date, 1)`);
          await db.execute(sql`select continuum_key_partition_drop('idempotency_keys_p20210207')`);
        } catch (e) {
          ddlErrors.push(String((e as { cause?: unknown }).cause ?? e));
        }
      }
    });
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const made = await Promise.all(
          Array.from({ length: 8 }, (_, j) =>
            as(u).post("/api/user/inbox", { title: `k${i}.${j}` }, { "idempotency-key": crypto.randomUUID() }),
          ),
        );
        statuses.push(...made.map((r) => r.status));
        const edited = await Promise.all(
          made.map((r) =>
            as(u).put(`/api/user/inbox/${r.body.id}`, { title: "edited" }, { "idempotency-key": crypto.randomUUID() }),
          ),
        );
        statuses.push(...edited.map((r) => r.status));
      }
    } finally {
      stop.abort();
      await ddl;
    }
    expect(rounds).toBeGreaterThan(1);
    expect(ddlErrors).toEqual([]);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(statuses).toHaveLength(96);
  });
});
