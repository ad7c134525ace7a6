/**
 * History, trash and restore (issue 24): every update/delete of a todo, inbox
 * item or reference keeps what it replaced, in the same statement; a restore
 * is a new version through the write path (logged, relayed); users see and
 * restore only their own entries; racing restores write once.
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { openDb } from "../../db/client";
import { pruneHistory } from "../../workers/jobs/history";
import { as, call, signup } from "../support/api";
import { uploadAudio, wav } from "../support/audio";
import { openSocket } from "../support/socket";
import { dbRows, withOwnerDb } from "../support/db";

describe("record history", () => {
  test("an update keeps the replaced version; restore writes it back as a new version, once", async () => {
    const u = as(await signup());
    const todo = (await u.post("/api/todos", { title: "first" })).body;
    expect((await u.put(`/api/todos/${todo.id}`, { title: "second", done: true })).status).toBe(200);

    const h = await u.get(`/api/history?entity=todo&id=${todo.id}`);
    expect(h.status).toBe(200);
    expect(h.body.total).toBe(1);
    const [entry] = h.body.items;
    expect(entry).toMatchObject({ entity: "todo", record_id: todo.id, op: "update", version: 1 });
    expect(entry.record).toMatchObject({ title: "first", done: false, version: 1 });

    const r = await u.post(`/api/history/${entry.id}/restore`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      entity: "todo",
      restored: true,
      record: { title: "first", done: false, version: 3 },
    });
    expect(r.headers.get("etag")).toBe('"3"');
    expect((await u.get(`/api/todos/${todo.id}`)).body).toMatchObject({ title: "first", version: 3 });

    // Idempotent: the same restore again writes nothing.
    const again = await u.post(`/api/history/${entry.id}/restore`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ restored: false, record: { version: 3 } });
    // The restore itself is history (undoable): version 2 ("second") was kept.
    const after = (await u.get(`/api/history?entity=todo&id=${todo.id}`)).body;
    expect(after.items.map((e: { version: number }) => e.version)).toEqual([2, 1]);
    expect(after.items[0].record).toMatchObject({ title: "second", done: true });
  });

  test("a record changed since → 409 with both versions; If-Match picks an older version on purpose", async () => {
    const u = as(await signup());
    const item = (await u.post("/api/user/inbox", { title: "v1" })).body;
    await u.put(`/api/user/inbox/${item.id}`, { title: "v2" });
    await u.put(`/api/user/inbox/${item.id}`, { title: "v3" });
    const items = (await u.get(`/api/history?entity=inbox_item&id=${item.id}`)).body.items;
    const v1 = items.find((e: { version: number }) => e.version === 1);
    const conflict = await u.post(`/api/history/${v1.id}/restore`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe("version_conflict");
    expect(conflict.body.error.details.current).toMatchObject({ title: "v3", version: 3 });
    expect(conflict.body.error.details.restoring).toMatchObject({ title: "v1", version: 1 });
    expect((await u.get(`/api/user/inbox/${item.id}`)).body.title).toBe("v3"); // nothing written

    const stale = await u.post(`/api/history/${v1.id}/restore`, undefined, { "if-match": '"2"' });
    expect(stale.status).toBe(409);
    const chosen = await u.post(`/api/history/${v1.id}/restore`, undefined, { "if-match": '"3"' });
    expect(chosen.status).toBe(200);
    expect(chosen.body.record).toMatchObject({ title: "v1", version: 4 });
  });

  test("a delete lands in the trash; restore re-creates it above its tombstone and another device receives it", async () => {
    const a = await signup();
    const u = as(a);
    const ref = (await u.post("/api/references", { title: "keep me", content: "body", tags: ["x"] })).body;
    expect((await u.del(`/api/references/${ref.id}`)).status).toBe(204);

    const trash = (await u.get("/api/trash")).body;
    expect(trash.total).toBe(1);
    expect(trash.items[0]).toMatchObject({ entity: "reference", record_id: ref.id, op: "delete", version: 1 });
    expect(trash.items[0].record).toMatchObject({ title: "keep me", content: "body", tags: ["x"] });

    const other = await openSocket(a.token, "other-device");
    await other.next((m) => m.type === "hello");
    const r = await u.post(`/api/history/${trash.items[0].id}/restore`);
    expect(r.status).toBe(200);
    // Tombstone was version 2: the restored record is version 3, so every device applies it.
    expect(r.body.record).toMatchObject({ id: ref.id, title: "keep me", tags: ["x"], version: 3 });
    const msg = await other.next(
      (m) => m.type === "changes" && m.changes.some((ch: { id: string }) => ch.id === ref.id),
    );
    expect(msg.changes.find((ch: { id: string }) => ch.id === ref.id)).toMatchObject({
      entity: "reference",
      op: "upsert",
      version: 3,
      data: { title: "keep me" },
    });
    other.close();
    expect((await u.get("/api/trash")).body.total).toBe(0);
    expect((await u.get(`/api/references/${ref.id}`)).body).toMatchObject({ title: "keep me", version: 3 });
  });

  test("another user can neither see nor restore someone's entries", async () => {
    const a = as(await signup());
    const b = as(await signup());
    const todo = (await a.post("/api/todos", { title: "mine" })).body;
    await a.del(`/api/todos/${todo.id}`);
    const entry = (await a.get("/api/trash")).body.items[0];

    expect((await b.get("/api/trash")).body.total).toBe(0);
    expect((await b.get(`/api/history?entity=todo&id=${todo.id}`)).body.total).toBe(0);
    const r = await b.post(`/api/history/${entry.id}/restore`);
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).not.toContain("mine");
    expect((await b.get(`/api/todos/${todo.id}`)).status).toBe(404);
    expect((await a.get(`/api/todos/${todo.id}`)).status).toBe(404); // still deleted for A too
  });

  test("two restores racing write the record once", async () => {
    const u = as(await signup());
    const todo = (await u.post("/api/todos", { title: "raced" })).body;
    await u.del(`/api/todos/${todo.id}`);
    const entry = (await u.get("/api/trash")).body.items[0];
    const results = await Promise.all([1, 2, 3].map(() => u.post(`/api/history/${entry.id}/restore`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.filter((r) => r.body.restored).length).toBe(1);
    for (const r of results) expect(r.body.record).toMatchObject({ id: todo.id, title: "raced", version: 3 });
    const changes = (await u.get("/api/sync/changes?since=0")).body.changes.filter(
      (ch: { id: string }) => ch.id === todo.id,
    );
    // Created (1), deleted (tombstone 2), restored once (3): the racing restores wrote nothing more.
    expect(changes.map((ch: { op: string; version: number }) => `${ch.op}@${ch.version}`)).toEqual([
      "upsert@1",
      "delete@2",
      "upsert@3",
    ]);
  });

  test("bad input is a clear 4xx and changes nothing", async () => {
    const u = as(await signup());
    expect((await u.get("/api/history?entity=wallet&id=00000000-0000-4000-8000-000000000000")).status).toBe(400);
    expect((await u.get("/api/history?entity=todo&id=nope")).status).toBe(400);
    expect((await u.post("/api/history/not-a-uuid/restore")).status).toBe(404);
    expect((await u.post("/api/history/00000000-0000-4000-8000-000000000000/restore")).status).toBe(404);
  });

  test("deleting the account takes its history with it", async () => {
    const user = await signup();
    const u = as(user);
    const todo = (await u.post("/api/todos", { title: "gone with the account" })).body;
    await u.put(`/api/todos/${todo.id}`, { title: "edited" });
    const count = () =>
      withOwnerDb((db) => db.execute(sql`select count(*)::int as n from record_history where user_id = ${user.id}`));
    expect((await count()).rows[0]).toMatchObject({ n: 1 });
    const r = await call("DELETE", "/api/auth/account", { token: user.token, json: { password: user.password } });
    expect(r.status).toBe(204);
    expect((await count()).rows[0]).toMatchObject({ n: 0 });
  });

  test("old history goes by dropping its day's partition, not row by row", async () => {
    const u = await signup();
    const old = new Date(Date.UTC(2021, 0, 5, 12));
    await withOwnerDb(async (db) => {
      await db.execute(sql`select continuum_history_partitions('2021-01-05'::date, 1)`);
      await db.execute(sql`insert into record_history (user_id, entity, record_id, op, version, data, created_at)
        values (${u.id}, 'todo', gen_random_uuid(), 'delete', 1, '{}'::jsonb, ${old})`);
    });
    // As the cron runs it: the jobs role (row-level security, db/migrations/0018_row_level_security.sql).
    const jobs = openDb(env);
    jobs.asJobs();
    const report = await pruneHistory(jobs.db, 30, { userId: u.id }).finally(() => jobs.close());
    expect(report.partitions_dropped).toBeGreaterThanOrEqual(1);
    const left = await withOwnerDb((db) =>
      db.execute(sql`select to_regclass('record_history_p20210105') as t,
        (select count(*)::int from record_history where user_id = ${u.id}) as n`),
    );
    expect(left.rows[0]).toMatchObject({ t: null, n: 0 });
  });
  test("the hourly partition DDL and users' writes never deadlock; the DDL leaves `users` alone (0042, 0049)", async () => {
    // Making or dropping a day's partition locked `users` too (record_history's foreign key, since
    // dropped); a write locks `users` before record_history. The DDL took them the other way
    // round, and the write lost the deadlock: a 500 on an edit or delete during the cron.
    const fks = await dbRows<{ n: number }>(
      sql`select count(*)::int as n from pg_constraint where conrelid = 'record_history'::regclass and contype = 'f'`,
    );
    expect(fks).toEqual([{ n: 0 }]);
    const u = as(await signup());
    const ids: string[] = [];
    for (let i = 0; i < 60; i += 10)
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, async (_, j) => (await u.post("/api/user/inbox", { title: `w${i + j}` })).body.id),
        )),
      );
    const writes = new AbortController();
    let rounds = 0;
    const ddlErrors: string[] = [];
    const ddl = withOwnerDb(async (db) => {
      while (!writes.signal.aborted) {
        rounds++;
        try {
          await db.execute(sql`select continuum_history_partitions('2021-02-07'::date, 1)`);
          await db.execute(sql`select continuum_history_drop('record_history_p20210207')`);
        } catch (e) {
          ddlErrors.push(String(e));
        }
        // Other files share this database: leave their writes room between rounds.
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    const statuses: number[] = [];
    try {
      for (let i = 0; i < ids.length; i += 10)
        for (const step of ["edit", "delete"] as const)
          statuses.push(
            ...(await Promise.all(
              ids
                .slice(i, i + 10)
                .map(async (id) =>
                  step === "edit"
                    ? (await u.put(`/api/user/inbox/${id}`, { title: "edited" })).status
                    : (await u.del(`/api/user/inbox/${id}`)).status,
                ),
            )),
          );
    } finally {
      writes.abort();
      await ddl;
    }
    expect(rounds).toBeGreaterThan(1);
    expect(ddlErrors).toEqual([]);
    expect(statuses.filter((s) => s !== 200 && s !== 204)).toEqual([]);
    expect(statuses).toHaveLength(120);
  });
});

describe("restore is one database call", () => {
  const q = (r: { headers: Headers }) => Number(r.headers.get("x-db-queries"));
  const key = () => ({ "idempotency-key": crypto.randomUUID() });

  test("undoing an edit and a delete is one round trip each; the change is in the feed up to X-Sync-Cursor", async () => {
    const u = as(await signup());
    const item = (await u.post("/api/user/inbox", { title: "before", tags: ["a", "b"] })).body;
    await u.put(`/api/user/inbox/${item.id}`, { title: "after", tags: ["a"] });
    const [edit] = (await u.get(`/api/history?entity=inbox_item&id=${item.id}`)).body.items;
    const undone = await u.post(`/api/history/${edit.id}/restore`, undefined, key());
    expect(undone.status).toBe(200);
    expect(q(undone)).toBe(1);
    expect(undone.body.record).toMatchObject({ title: "before", tags: ["a", "b"], version: 3 });
    const feed = (await u.get(`/api/sync/changes?since=0`)).body.changes as { id: string; cursor: string }[];
    expect(undone.headers.get("x-sync-cursor")).toBe(feed.at(-1)!.cursor);
    expect(feed.at(-1)).toMatchObject({ id: item.id, op: "upsert", version: 3, data: { title: "before" } });

    // A subset of tags is not "the same content": containment must not pass for equality.
    await u.put(`/api/user/inbox/${item.id}`, { tags: ["a", "b", "c"] });
    const [grown] = (await u.get(`/api/history?entity=inbox_item&id=${item.id}`)).body.items;
    const back = await u.post(`/api/history/${grown.id}/restore`, undefined, key());
    expect(back.body).toMatchObject({ restored: true, record: { tags: ["a", "b"], version: 5 } });

    await u.del(`/api/user/inbox/${item.id}`);
    const gone = (await u.get("/api/trash")).body.items[0];
    const again = await u.post(`/api/history/${gone.id}/restore`, undefined, key());
    expect([again.status, q(again), again.body.restored]).toEqual([200, 1, true]);
    expect(again.body.record).toMatchObject({ id: item.id, title: "before", version: 7 });
    // A conflict is decided in the same call: nothing written.
    const items = (await u.get(`/api/history?entity=inbox_item&id=${item.id}`)).body.items;
    const v2 = items.find((e: { version: number }) => e.version === 2); // "after", replaced by the first undo
    const conflict = await u.post(`/api/history/${v2.id}/restore`, undefined, key());
    expect([conflict.status, q(conflict), conflict.body.error.code]).toEqual([409, 1, "version_conflict"]);
  });

  test("a reference whose audio is gone can't come back: 409 restore_blocked, nothing written", async () => {
    const user = await signup();
    const u = as(user);
    const audio = await uploadAudio(user.token, wav(1), "rain.wav");
    expect(audio.status).toBe(201);
    const ref = (await u.post("/api/references", { title: "with audio", audio_id: audio.body.id })).body;
    expect((await u.del(`/api/references/${ref.id}`)).status).toBe(204);
    expect((await u.del(`/api/audio/${audio.body.id}`)).status).toBe(204);
    const entry = (await u.get("/api/trash")).body.items[0];
    const r = await u.post(`/api/history/${entry.id}/restore`);
    expect([r.status, r.body.error.code]).toEqual([409, "restore_blocked"]);
    expect((await u.get(`/api/references/${ref.id}`)).status).toBe(404);
  });
});
