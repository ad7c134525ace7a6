/**
 * Auth and account routes at the round-trip budget (issue 20): the session check leads the route's
 * one statement (X-Db-Queries 1), and the two that must check a password in the Worker first
 * (PBKDF2: password change, account deletion) take 2 — never a WebSocket connection. The rules
 * they enforce are unchanged (sessions.test.ts, account.test.ts); here: the counts, and that each
 * refusal still changes nothing now that the refusing condition lives in the statement.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";
import { dbRows } from "../support/db";

beforeAll(() => call("GET", "/api/health"), 120_000);

const trips = (r: { headers: Headers }) => [
  Number(r.headers.get("x-db-queries")),
  Number(r.headers.get("x-db-connections")),
];

async function device(u: TestUser) {
  const r = await call("POST", "/api/auth/login", {
    json: { login: u.username, password: u.password },
    headers: { "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250) + 1}` },
  });
  expect(r.status).toBe(200);
  return { token: r.body.token as string, id: undefined as string | undefined };
}

const sessionCount = async (userId: string) =>
  Number((await dbRows(sql`select count(*)::int as n from sessions where user_id = ${userId}`))[0]!.n);

describe("auth routes: one round trip, no connection", () => {
  test("minting a token, naming and revoking a session, signing out elsewhere and logging out", async () => {
    const u = await signup();
    const minted = await as(u).post("/api/auth/tokens", { name: "client", scope: "full" });
    expect(minted.status).toBe(201);
    expect(trips(minted)).toEqual([1, 0]);

    // A personal access token is refused in the same statement: 403, nothing minted or ended.
    const pat = { token: minted.body.token as string };
    const before = await sessionCount(u.id);
    const byToken = await as(pat).post("/api/auth/tokens", { name: "more", scope: "full" });
    expect([byToken.status, byToken.body.error.code]).toEqual([403, "device_session_required"]);
    const revokeByToken = await as(pat).post("/api/auth/sessions/revoke_others");
    expect([revokeByToken.status, revokeByToken.body.error.code]).toEqual([403, "device_session_required"]);
    expect(await sessionCount(u.id)).toBe(before);

    const other = await device(u);
    const listed = (await as(u).get("/api/auth/sessions")).body.items as Array<{ id: string; current: boolean }>;
    const target = listed.find((s) => !s.current && s.id !== minted.body.id)!.id;
    const renamed = await as(u).put(`/api/auth/sessions/${target}`, { device_name: "Old phone" });
    expect([renamed.status, trips(renamed)]).toEqual([204, [1, 0]]);
    const revoked = await as(u).del(`/api/auth/sessions/${target}`);
    expect(revoked.status).toBe(204);
    expect(trips(revoked)).toEqual([1, 0]);
    expect((await as(other).get("/api/auth/me")).status).toBe(401);
    const missing = await as(u).del(`/api/auth/sessions/${crypto.randomUUID()}`);
    expect([missing.status, trips(missing)]).toEqual([404, [1, 0]]);

    const third = await device(u);
    const others = await as(u).post("/api/auth/sessions/revoke_others");
    expect(others.status).toBe(200);
    expect(others.body).toEqual({ revoked: 2 }); // the token and the third device
    expect(trips(others)).toEqual([1, 0]);
    for (const t of [third, pat]) expect((await as(t).get("/api/auth/me")).status).toBe(401);

    const out = await as(u).post("/api/auth/logout");
    expect(out.status).toBe(204);
    expect(trips(out)).toEqual([1, 0]);
    expect((await as(u).get("/api/auth/me")).status).toBe(401);
    expect(await sessionCount(u.id)).toBe(0);
    // Nothing live to end: still 204, one round trip (the check refuses, nothing commits).
    const again = await as(u).post("/api/auth/logout");
    expect([again.status, trips(again)]).toEqual([204, [1, 0]]);
  });

  test("logout with a forged token for a real user ends nothing", async () => {
    const u = await signup();
    const forged = { token: `${u.id}.${"A".repeat(43)}` };
    const r = await as(forged).post("/api/auth/logout");
    expect(r.status).toBe(204);
    expect(await sessionCount(u.id)).toBe(1);
    expect((await as(u).get("/api/auth/me")).status).toBe(200);
  });

  test("a password change is 2 round trips and no connection; a wrong password is 1 and changes nothing", async () => {
    const u = await signup();
    const other = await device(u);
    const wrong = await as(u).post("/api/auth/password", {
      current_password: "not it at all",
      new_password: "x".repeat(12),
    });
    expect(wrong.status).toBe(403);
    expect(trips(wrong)).toEqual([1, 0]);
    expect((await as(other).get("/api/auth/me")).status).toBe(200);

    const ok = await as(u).post("/api/auth/password", {
      current_password: u.password,
      new_password: "a brand new password",
    });
    expect([ok.status, ok.body]).toEqual([200, { revoked: 1 }]);
    expect(trips(ok)).toEqual([2, 0]);
    expect((await as(other).get("/api/auth/me")).status).toBe(401);
    expect((await as(u).get("/api/auth/me")).status).toBe(200);
  });

  test("deleting an account is 2 round trips and no connection", async () => {
    const u = await signup();
    await as(u).post("/api/todos", { title: "goes with the account" });
    const r = await call("DELETE", "/api/auth/account", {
      headers: { authorization: `Bearer ${u.token}` },
      json: { password: u.password },
    });
    expect(r.status).toBe(204);
    expect(trips(r)).toEqual([2, 0]);
    expect(await dbRows(sql`select id from users where id = ${u.id}`)).toEqual([]);
  });
});
