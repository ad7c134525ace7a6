/**
 * Regression tests for the security review (issue 14), in workerd against the
 * real Postgres: cross-site sockets and mutations, inputs that used to reach a
 * 500, idempotent auth mutations, the sliding cookie, rate-limit keys, signup
 * atomicity and what an error log may contain.
 */
import { exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, test, vi } from "vitest";
import { as, BASE, call, freshRateLimitWindow, signup, SIGNUP_ENTITIES, unique } from "../support/api";
import { nested } from "../support/nasty";
import { withOwnerDb } from "../support/db";

const ORIGIN = new URL(BASE).origin;
const EVIL = "https://evil.example";

const upgrade = (headers: Record<string, string>) =>
  exports.default.fetch(new Request(`${BASE}/api/sync/ws`, { headers: { Upgrade: "websocket", ...headers } }));

describe("cross-site requests with the session cookie", () => {
  test("a cookie-authenticated WebSocket upgrade from another origin (or `null`) is refused; bearer and own origin open", async () => {
    const u = await signup();
    const cookie = `session=${u.token}`;
    for (const origin of [EVIL, "null", "http://localhost.evil.example", "http://sub.localhost"]) {
      const res = await upgrade({ cookie, origin });
      expect(res.status, origin).toBe(403);
      expect(res.webSocket).toBeNull();
      expect(((await res.json()) as any).error.code).toBe("cross_site_request");
    }
    const crossSite = await upgrade({ cookie, "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const allowed: Record<string, string>[] = [
      { cookie, origin: ORIGIN },
      { authorization: `Bearer ${u.token}`, origin: EVIL }, // a token is never sent by the browser on its own
      { cookie }, // no Origin: not a browser
    ];
    for (const ok of allowed) {
      const res = await upgrade(ok);
      expect(res.status, JSON.stringify(ok)).toBe(101);
      res.webSocket!.accept();
      res.webSocket!.close(1000);
    }
  });

  test("cookie-authenticated mutations need the app's origin; bearer clients are unaffected", async () => {
    const u = await signup();
    const cookie = `session=${u.token}`;
    await as(u).post("/api/focus/sessions", { duration_s: 600 });
    const before = (await as(u).get("/api/sync/changes")).body.cursor;
    // A cross-site form post (no body, or a simple content type) toggling state.
    const forged: Record<string, string>[] = [
      { cookie, origin: EVIL },
      { cookie, origin: "null" },
      { cookie, "sec-fetch-site": "cross-site" },
      { cookie, "sec-fetch-site": "same-site" },
    ];
    for (const headers of forged) {
      const r = await call("POST", "/api/focus/pause", { headers });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.body.error.code).toBe("cross_site_request");
    }
    const logout = await call("POST", "/api/auth/logout", { headers: { cookie, origin: EVIL } });
    expect(logout.status).toBe(403);
    expect((await as(u).get("/api/auth/me")).status).toBe(200); // still signed in
    expect((await as(u).get("/api/sync/changes")).body.cursor).toBe(before); // nothing written
    // The app itself, and API clients with a token from anywhere.
    expect((await call("POST", "/api/focus/pause", { headers: { cookie, origin: ORIGIN } })).status).toBe(200);
    expect(
      (await call("POST", "/api/focus/resume", { headers: { cookie, "sec-fetch-site": "same-origin" } })).status,
    ).toBe(200);
    expect((await call("POST", "/api/focus/pause", { token: u.token, headers: { origin: EVIL } })).status).toBe(200);
    // Reads are not mutations.
    expect((await call("GET", "/api/auth/me", { headers: { cookie, origin: EVIL } })).status).toBe(200);
  });
});

describe("inputs that used to reach a 500", () => {
  test("deeply nested settings `ui` → 422 before the recursive schema runs; nothing written", async () => {
    const u = await signup();
    const before = (await as(u).get("/api/sync/changes")).body.cursor;
    for (const depth of [33, 1_500, 5_000]) {
      const r = await as(u).put("/api/settings", { ui: { deep: nested(depth) } });
      expect(r.status, String(depth)).toBe(422);
      expect(r.body.error.details[0].code).toBe("too_deep");
    }
    expect((await as(u).put("/api/settings", { ui: { ok: nested(20) } })).status).toBe(200);
    // What signup wrote + the one ok update.
    expect((await as(u).get("/api/sync/changes")).body.changes.length).toBe(SIGNUP_ENTITIES.length + 1);
    expect(before).not.toBe("0");
  });

  test("lone UTF-16 surrogates → 422 wherever JSON goes (values and keys); a real pair is fine", async () => {
    const u = await signup();
    const cases: [string, string, unknown][] = [
      ["PUT", "/api/settings", { ui: { note: "x\ud800y" } }],
      ["PUT", "/api/settings", { ui: { ["k\udc00"]: 1 } }],
      ["PUT", "/api/settings", { ui: { list: ["ok", "\udbff"] } }],
      ["POST", "/api/user/inbox", { title: "half \ud83d" }],
      ["POST", "/api/references", { title: "r", content: "\udfff" }],
    ];
    for (const [method, path, json] of cases) {
      const r = await call(method, path, { token: u.token, json });
      expect(r.status, JSON.stringify(json)).toBe(422);
      expect(r.body.error.details[0].message).toMatch(/surrogate/i);
    }
    const q = await as(u).get(`/api/references?q=${encodeURIComponent("a")}%ED%A0%80`);
    expect(q.status).toBeLessThan(500);
    const emoji = await as(u).put("/api/settings", { ui: { note: "💥 ok" } });
    expect(emoji.status).toBe(200);
    expect(emoji.body.ui.note).toBe("💥 ok");
  });

  test("DELETE /api/auth/sessions/{id} with 36 characters that are not a UUID → 404", async () => {
    const u = await signup();
    for (const id of ["a".repeat(36), "-".repeat(36), "0".repeat(36), "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"]) {
      const r = await as(u).del(`/api/auth/sessions/${id}`);
      expect(r.status, id).toBe(404);
      expect(r.body.error.code).toBe("not_found");
    }
  });
});

describe("auth mutations honour Idempotency-Key (SPEC §3)", () => {
  test("a retried revoke replays 204; a different request with the key is 422", async () => {
    const u = await signup();
    const other = await call("POST", "/api/auth/login", { json: { login: u.username, password: u.password } });
    const sessions = (await as(u).get("/api/auth/sessions")).body.items as any[];
    const target = sessions.find((s) => !s.current)!.id;
    const key = { "idempotency-key": unique("k") };
    const first = await as(u).del(`/api/auth/sessions/${target}`, key);
    expect(first.status).toBe(204);
    const retry = await as(u).del(`/api/auth/sessions/${target}`, key);
    expect(retry.status).toBe(204);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await as(other.body).get("/api/auth/me")).status).toBe(401);
    expect((await as(u).del(`/api/auth/sessions/${crypto.randomUUID()}`, key)).status).toBe(422);
  });

  test("a retried logout is 204 again (the session is gone either way), never a 401 or 500", async () => {
    const u = await signup();
    const key = { "idempotency-key": unique("k") };
    const first = await as(u).post("/api/auth/logout", undefined, key);
    expect(first.status).toBe(204);
    const retry = await as(u).post("/api/auth/logout", undefined, key);
    expect(retry.status).toBe(204);
    expect(retry.headers.get("set-cookie")).toMatch(/session=;.*Max-Age=0/i);
    expect((await as(u).get("/api/auth/me")).status).toBe(401);
  });
});

describe("sessions", () => {
  test("when the expiry slides, a cookie session gets a fresh cookie; a bearer session gets none", async () => {
    const u = await signup();
    const ago = (id: string) =>
      withOwnerDb((db) =>
        db.execute(
          sql`update sessions set last_seen_at = now() - interval '2 days', expires_at = now() + interval '28 days'
              where user_id = ${id}`,
        ),
      );
    await ago(u.id);
    const viaCookie = await call("GET", "/api/auth/me", { headers: { cookie: `session=${u.token}` } });
    expect(viaCookie.status).toBe(200);
    const cookie = viaCookie.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`session=${u.token}`);
    expect(cookie).toMatch(/Max-Age=2592000/);
    expect(cookie).toMatch(/HttpOnly/);
    const [row] = (await withOwnerDb((db) => db.execute(sql`select expires_at from sessions where user_id = ${u.id}`)))
      .rows as any[];
    expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    // Not again within the day (reads stay read-only), and never for a token.
    expect(
      (await call("GET", "/api/auth/me", { headers: { cookie: `session=${u.token}` } })).headers.has("set-cookie"),
    ).toBe(false);
    const b = await signup();
    await ago(b.id);
    const viaBearer = await as(b).get("/api/auth/me");
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.headers.has("set-cookie")).toBe(false);
  });

  test("signup is one transaction with its session: a failure there leaves no account, and the retry succeeds", async () => {
    const username = unique("s").toLowerCase();
    const email = `${username}@example.test`;
    const ua = `blip-${username}`;
    // A database blip exactly at the session insert (SQLSTATE 08006: connection failure).
    await withOwnerDb(async (db) => {
      await db.execute(
        sql.raw(`create or replace function test_blip() returns trigger language plpgsql as $$
        begin raise exception 'blip' using errcode = '08006'; end $$`),
      );
      await db.execute(
        sql.raw(`create trigger test_blip_${username} before insert on sessions for each row
          when (new.user_agent = '${ua}') execute function test_blip()`),
      );
    });
    try {
      const json = { email, username, password: "correct horse battery" };
      const failed = await call("POST", "/api/auth/signup", {
        json,
        headers: { "user-agent": ua, "cf-connecting-ip": "192.0.2.77" },
      });
      expect(failed.status).toBe(503);
      const left = await withOwnerDb((db) => db.execute(sql`select 1 from users where username = ${username}`));
      expect(left.rows.length).toBe(0);
      const retry = await call("POST", "/api/auth/signup", { json, headers: { "cf-connecting-ip": "192.0.2.77" } });
      expect(retry.status).toBe(201);
      expect((await as(retry.body).get("/api/auth/me")).status).toBe(200);
    } finally {
      await withOwnerDb((db) => db.execute(sql.raw(`drop trigger if exists test_blip_${username} on sessions`)));
    }
  });
});

describe("rate limits key on CF-Connecting-IP and the account", () => {
  const attempt = (login: string, headers: Record<string, string>) =>
    call("POST", "/api/auth/login", { json: { login, password: "wrong password!" }, headers });

  test("X-Forwarded-For is ignored: spoofing it never buys a fresh bucket", async () => {
    const u = await signup();
    await freshRateLimitWindow(10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await attempt(u.username, { "x-forwarded-for": `203.0.113.${i}` })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  test("an account's email and username share one bucket", async () => {
    const u = await signup();
    const ip = { "cf-connecting-ip": "198.18.0.1" };
    await freshRateLimitWindow(10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await attempt(i % 2 ? u.email.toUpperCase() : ` ${u.username} `, ip)).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const limited = await attempt(u.email, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
  });

  test("per account across addresses: a distributed guess hits ACCOUNT_LIMITER", async () => {
    const u = await signup();
    await freshRateLimitWindow(25_000);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push((await attempt(u.username, { "cf-connecting-ip": `10.9.${i}.1` })).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    // An unknown login is limited exactly alike: a 429 says nothing about which accounts exist.
    const ghost = unique("ghost");
    const ghostStatuses: number[] = [];
    for (let i = 0; i < 31; i++)
      ghostStatuses.push((await attempt(ghost, { "cf-connecting-ip": `10.8.${i}.1` })).status);
    expect(ghostStatuses).toEqual(statuses);
  });
});

describe("another user's ids are never revealed", () => {
  test("a create reusing a foreign id answers exactly as for a fresh id; neither record is touched", async () => {
    const a = await signup();
    const b = await signup();
    const lib = (await as(a).post("/api/focus/libraries", { name: "A's" })).body;
    const creates: [string, (id: string) => unknown][] = [
      ["/api/user/inbox", () => ({ title: "A's note" })],
      ["/api/references", () => ({ title: "A's reference" })],
      ["/api/focus/libraries", () => ({ name: "A's library" })],
      [`/api/focus/libraries/${lib.id}/tracks`, () => ({ title: "A's track", url: "https://example.test/a.mp3" })],
    ];
    for (const [path, body] of creates) {
      const id = crypto.randomUUID();
      const mine = await as(a).post(path, { id, ...(body(id) as object) });
      expect(mine.status, path).toBe(201);
      // B reuses A's id: as if it were free (201), with B's own content.
      const bPath = path.includes("/tracks")
        ? `/api/focus/libraries/${(await as(b).post("/api/focus/libraries", { name: "B's" })).body.id}/tracks`
        : path;
      const theirs = await as(b).post(bPath, {
        id,
        ...(body(id) as object),
        ...(path.includes("libraries") && !path.includes("tracks") ? { name: "B's own" } : {}),
      });
      expect(theirs.status, path).toBe(201);
      expect(theirs.body.id).toBe(id);
      expect(theirs.body.version).toBe(1);
    }
    const [firstPath] = creates[0]!;
    const aItems = (await as(a).get(firstPath)).body.items as any[];
    const bItems = (await as(b).get(firstPath)).body.items as any[];
    expect(aItems.map((i) => i.id)).toEqual(bItems.map((i) => i.id));
    // Deleting B's copy leaves A's.
    expect((await as(b).del(`${firstPath}/${bItems[0].id}`)).status).toBe(204);
    expect((await as(a).get(`${firstPath}/${aItems[0].id}`)).status).toBe(200);
    // Multipart uploads too.
    const audioId = crypto.randomUUID();
    const up = { id: audioId, filename: "x.wav", content_type: "audio/wav", size: 6_000_000 };
    expect((await as(a).post("/api/audio/uploads", up)).status).toBe(201);
    expect((await as(b).post("/api/audio/uploads", up)).status).toBe(201);
  });
});

describe("error logs", () => {
  afterEach(() => vi.restoreAllMocks());

  test("a failed query logs its SQLSTATE, constraint and request id — never SQL text or parameters", async () => {
    const username = unique("l").toLowerCase();
    const ua = `fail-${username}`;
    await withOwnerDb(async (db) => {
      await db.execute(
        sql.raw(`create or replace function test_fail() returns trigger language plpgsql as $$
        begin raise exception 'boom' using errcode = 'P0001'; end $$`),
      );
      await db.execute(
        sql.raw(`create trigger test_fail_${username} before insert on sessions for each row
          when (new.user_agent = '${ua}') execute function test_fail()`),
      );
    });
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args.join(" ")));
    try {
      // Straight to the Worker (not `call`, which checks the OpenAPI document: a 500 is never declared).
      const res = await exports.default.fetch(
        new Request(`${BASE}/api/auth/signup`, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": ua, "cf-connecting-ip": "192.0.2.78" },
          body: JSON.stringify({ email: `${username}@example.test`, username, password: "correct horse battery" }),
        }),
      );
      const r = { status: res.status, body: (await res.json()) as any };
      expect(r.status).toBe(500);
      expect(JSON.stringify(r.body)).not.toMatch(/insert|select|sessions|boom/i);
      const line = logged.find((l) => l.includes(r.body.error.details.request_id));
      expect(line, logged.join("\n")).toBeDefined();
      const entry = JSON.parse(line!);
      expect(entry).toMatchObject({ level: "error", request_id: r.body.error.details.request_id, code: "P0001" });
      // No SQL, no parameters (the token hash, the password hash, the user agent), no message.
      expect(line).not.toMatch(/insert into|token_hash|pbkdf2|params|boom|fail-/i);
    } finally {
      await withOwnerDb((db) => db.execute(sql.raw(`drop trigger if exists test_fail_${username} on sessions`)));
    }
  });
});
