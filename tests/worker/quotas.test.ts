/**
 * Per-user quotas (issue #21, README "Limits"): every collection is bounded in
 * Postgres, in the insert's own statement, and the API answers 413
 * `quota_exceeded` with `{resource, limit}` — exact under concurrency, the
 * same over REST, the assistant and MCP.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { declaredQuotas } from "../../workers/protocol/registry";
import { QUOTAS } from "../../workers/protocol/rules";
import { as, call, signup } from "../support/api";
import { dbRows } from "../support/db";

beforeAll(() => call("GET", "/api/health"), 120_000);

const LOOP = { name: "Loop", bars: 1, bpm: 90, color: "#112233", chord_progression: ["C"] };

function expectQuota(r: { status: number; body: any }, resource: string, limit: number) {
  expect(r.status).toBe(413);
  expect(r.body.error).toMatchObject({ code: "quota_exceeded", details: { resource, limit } });
  expect(r.body.error.message).toContain(String(limit));
}

describe("per-user quotas", () => {
  test("the database's triggers and quota policies carry exactly the numbers the README and the web app show", async () => {
    const rows = await dbRows(sql`
      select t.tgname, encode(t.tgargs, 'escape') as args
      from pg_trigger t where t.tgname like 'quota\\_%' and not t.tgisinternal`);
    const found: Record<string, number> = {};
    for (const r of rows) {
      const args = String(r.args).split("\\000");
      found[args[3]!] = Number(args[0]);
    }
    // Declared types (db/schema.ts recordTable): a restrictive insert policy, generated with the table.
    const policies = await dbRows(sql`
      select c.relname as table, pg_get_expr(p.polwithcheck, p.polrelid) as expr
      from pg_policy p join pg_class c on c.oid = p.polrelid where p.polname = 'quota'`);
    for (const p of policies) {
      const m = /continuum_within_quota\('([a-z_]+)'(?:::text)?, (\d+), user_id\)/.exec(String(p.expr));
      expect(m?.[1], `${p.table}: ${p.expr}`).toBe(p.table);
      found[m![1]!] = Number(m![2]);
    }
    expect(found).toEqual({ ...QUOTAS, ...declaredQuotas });
  });

  test("loops: the last slot is taken, the next is 413 with the limit; other users are unaffected", async () => {
    const [u, other] = await Promise.all([signup(), signup()]);
    await dbRows(sql`insert into loops (id, user_id, owner_username, name, bars, bpm, color, chord_progression, icon_sequence)
      select gen_random_uuid(), ${u.id}, ${u.username}, 'x', 1, 90, '#000000', '["C"]', '[]'
      from generate_series(1, ${QUOTAS.loops - 1})`);
    expect((await as(u).post("/api/studio/loops", LOOP)).status).toBe(201);
    expectQuota(await as(u).post("/api/studio/loops", LOOP), "loops", QUOTAS.loops);
    const pub = (await as(other).post("/api/studio/loops", { ...LOOP, visibility: "public", remixable: true })).body;
    expectQuota(await as(u).post(`/api/studio/loops/${pub.id}/remix`, {}), "loops", QUOTAS.loops);
    expect((await as(other).get(`/api/studio/loops/${pub.id}`)).body.remixes_count).toBe(0); // nothing half-done
    const [{ n }] = await dbRows(sql`select count(*)::int as n from loops where user_id = ${u.id}`);
    expect(n).toBe(QUOTAS.loops);
  });

  test("custom rewards: ten racing creates for the last three slots → exactly three 201s, the rest 413", async () => {
    const u = await signup();
    await dbRows(sql`insert into market_items (id, user_id, name, price, consumable)
      select gen_random_uuid(), ${u.id}, 'r', 1, true from generate_series(1, ${QUOTAS.custom_rewards - 3})`);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => as(u).post("/api/market/items", { name: `reward ${i}`, price: 3 })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 413)).toHaveLength(7);
    for (const r of results.filter((x) => x.status === 413)) expectQuota(r, "custom_rewards", QUOTAS.custom_rewards);
    const [{ n }] = await dbRows(sql`select count(*)::int as n from market_items where user_id = ${u.id}`);
    expect(n).toBe(QUOTAS.custom_rewards);
  });

  test("sessions and access tokens: a sign-in over the device limit and a token over its limit are 413", async () => {
    const u = await signup();
    await dbRows(sql`insert into sessions (user_id, token_hash, expires_at, kind)
      select ${u.id}, md5(random()::text || g), now() + interval '1 day', 'device'
      from generate_series(1, ${QUOTAS.sessions - 1}) g`);
    const login = await call("POST", "/api/auth/login", {
      json: { login: u.username, password: u.password },
      headers: { "cf-connecting-ip": "192.0.2.77" },
    });
    expectQuota(login, "sessions", QUOTAS.sessions);
    // Expired sessions don't count: one ending frees its slot (one of the filler rows: md5, not sha-256).
    await dbRows(sql`update sessions set expires_at = now() - interval '1 second'
      where id = (select id from sessions where user_id = ${u.id} and length(token_hash) = 32 limit 1)`);
    const again = await call("POST", "/api/auth/login", {
      json: { login: u.username, password: u.password },
      headers: { "cf-connecting-ip": "192.0.2.78" },
    });
    expect(again.status).toBe(200);

    await dbRows(sql`insert into sessions (user_id, token_hash, expires_at, kind, name, scope)
      select ${u.id}, md5(random()::text || g), 'infinity', 'token', 't', 'mcp'
      from generate_series(1, ${QUOTAS.access_tokens}) g`);
    expectQuota(await as(u).post("/api/auth/tokens", { name: "one more" }), "access_tokens", QUOTAS.access_tokens);
  });

  test("messages per conversation: a full conversation refuses a new message (413) and stays idle", async () => {
    const u = await signup();
    const conv = (await as(u).post("/api/assistant/conversations", {})).body;
    await dbRows(sql`insert into messages (id, user_id, conversation_id, seq, role, content)
      select gen_random_uuid(), ${u.id}, ${conv.id}, g, 'user', 'hi' from generate_series(1, ${QUOTAS.messages}) g`);
    const r = await as(u).post(`/api/assistant/conversations/${conv.id}/actions/send_message`, {
      content: "list todos",
    });
    expectQuota(r, "messages", QUOTAS.messages);
    expect((await as(u).get(`/api/assistant/conversations/${conv.id}`)).body.status).toBe("idle");
    // Another conversation is fine.
    const fresh = (await as(u).post("/api/assistant/conversations", {})).body;
    expect(
      (await as(u).post(`/api/assistant/conversations/${fresh.id}/actions/send_message`, { content: "list todos" }))
        .status,
    ).toBe(200);
  });
});
