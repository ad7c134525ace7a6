/**
 * The Cron Trigger's jobs: each runs on its own (one failing never skips the
 * others), deletes run in batches, and the run reports its counts.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, test, vi } from "vitest";
import worker from "../../workers/index";
import { BATCH, pruneExpired } from "../../workers/jobs/prune";
import { runScheduled } from "../../workers/jobs/scheduled";
import { signup } from "../support/api";
import { withOwnerDb } from "../support/db";

describe("scheduled jobs", () => {
  afterEach(() => vi.restoreAllMocks());

  test("a failing job doesn't stop the others; the run reports each job's counts and fails as a whole", async () => {
    const u = await signup();
    await withOwnerDb((db) =>
      db.execute(sql`update sessions set expires_at = now() - interval '1 hour' where user_id = ${u.id}`),
    );
    const logs: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
    // R2 is down: the audio job fails; it runs last, so make the first one fail too.
    const broken = {
      ...env,
      CHANGE_LOG_RETENTION_DAYS: "not a number",
      AUDIO: {
        list: () => Promise.reject(new Error("R2 unavailable")),
      },
    } as unknown as Env;
    // Scoped to this test's user: all files share one database (AGENTS.md).
    const report = await runScheduled(broken, new Date(), () => {}, { userId: u.id });
    expect(report.change_log!.ok).toBe(false);
    expect(report.audio!.ok).toBe(false);
    expect(report.expired).toMatchObject({ ok: true });
    const expired = report.expired as { ok: true; counts: Record<string, number> };
    expect(expired.counts.sessions).toBe(1); // the user's one session, and no one else's
    expect(
      (await withOwnerDb((db) => db.execute(sql`select 1 from sessions where user_id = ${u.id}`))).rows.length,
    ).toBe(0);
    const line = JSON.parse(logs.find((l) => l.includes("scheduled jobs"))!);
    expect(line.jobs.expired.counts.sessions).toBe(expired.counts.sessions);
    expect(JSON.stringify(line)).not.toMatch(/R2 unavailable|delete from|select /i); // codes, not messages

    // The Worker's handler runs every job and reports the failure to the runtime (the
    // dashboard shows the run failed). It runs unscoped, so here against a database
    // that doesn't exist: every job fails and nothing of other tests' users is touched.
    const nowhere = { ...broken, DATABASE_URL: env.DATABASE_URL.replace(/\/[^/?]+(?=\?|$)/, "/no_such_database") };
    const ctx = createExecutionContext();
    const controller = createScheduledController({ scheduledTime: new Date(), cron: "17 * * * *" });
    await expect(worker.scheduled!(controller, nowhere, ctx)).rejects.toThrow(
      /scheduled jobs failed: change_log, history, expired, audio, studio_counters$/,
    );
    await waitOnExecutionContext(ctx);
  });

  test("expired idempotency keys are deleted in batches, every one of them", async () => {
    const u = await signup();
    const n = BATCH * 2 + 17;
    await withOwnerDb((db) =>
      db.execute(sql`
        insert into idempotency_keys (user_id, key, request_hash, status, created_at)
        select ${u.id}, 'old-' || g, 'h', 204, now() - interval '3 days' from generate_series(1, ${n}) g`),
    );
    await withOwnerDb((db) =>
      db.execute(sql`insert into idempotency_keys (user_id, key, request_hash) values (${u.id}, 'fresh', 'h')`),
    );
    const counts = await withOwnerDb((db) => pruneExpired(db, new Date(), async () => {}, { userId: u.id }));
    expect(counts.idempotencyKeys).toBe(n);
    const left = await withOwnerDb((db) => db.execute(sql`select key from idempotency_keys where user_id = ${u.id}`));
    expect(left.rows).toEqual([{ key: "fresh" }]);
  });
});
