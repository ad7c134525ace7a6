import { describe, expect, test } from "vitest";
import { as, call, freshRateLimitWindow, SIGNUP_ENTITIES, signup, unique } from "../support/api";

const expectError = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(typeof r.body.error.message).toBe("string");
};

describe("HTTP core", () => {
  test("health reports the database", async () => {
    const r = await call("GET", "/api/health");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "ok", database: { reachable: true } });
    expect(r.headers.get("x-request-id")).toBeTruthy();
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("x-frame-options")).toBeTruthy();
  });

  test("unknown route → 404 in the error format", async () => {
    expectError(await call("GET", "/api/nope"), 404, "not_found");
  });

  test("malformed JSON → 400, wrong media type → 415, invalid → 422 with zod details", async () => {
    expectError(
      await call("POST", "/api/auth/signup", { body: "{not json", headers: { "content-type": "application/json" } }),
      400,
      "malformed_request",
    );
    expectError(
      await call("POST", "/api/auth/signup", {
        body: "email=a",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      "unsupported_media_type",
    );
    const r = await call("POST", "/api/auth/signup", { json: { email: "nope", username: "A!", password: "short" } });
    expectError(r, 422, "validation_failed");
    const paths = (r.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(["email", "password", "username"]);
    expectError(
      await call("POST", "/api/auth/signup", {
        json: { email: "a@b.test", username: "abc", password: "0123456789", admin: true },
      }),
      422,
      "validation_failed",
    );
    expectError(await call("POST", "/api/auth/signup", { json: [1, 2] }), 422, "validation_failed");
  });

  test("NUL characters (Postgres can't store them) → 422/400, never a 500", async () => {
    const u = await signup();
    expectError(await as(u).post("/api/user/inbox", { title: "a\u0000b" }), 422, "validation_failed");
    expectError(await as(u).put("/api/settings", { ui: { "k\u0000": 1 } }), 422, "validation_failed");
    expectError(await as(u).get("/api/user/inbox?tag=%00"), 400, "invalid_query");
    const upload = await call("POST", "/api/audio", {
      token: u.token,
      body: new Uint8Array(16),
      headers: { "content-type": "audio/wav", "x-filename": "a%00b.wav" },
    });
    expect(upload.status).toBe(400);
    expect((await as(u).get("/api/user/inbox")).body.total).toBe(0);
  });

  test("oversized body → 413 and nothing is written", async () => {
    const u = await signup();
    const r = await as(u).post("/api/user/inbox", { title: "x", description: "y".repeat(300 * 1024) });
    expectError(r, 413, "payload_too_large");
    expect((await as(u).get("/api/user/inbox")).body.total).toBe(0);
    expect((await as(u).get("/api/sync/changes")).body.changes.map((c: any) => c.entity)).toEqual(SIGNUP_ENTITIES);
  });

  test("errors never leak internals", async () => {
    const r = await call("GET", "/api/user/inbox/not-a-uuid", { token: (await signup()).token });
    expectError(r, 404, "not_found");
    expect(JSON.stringify(r.body)).not.toMatch(/select|stack|at \w+ \(/i);
  });
});

describe("auth rules", () => {
  test("duplicate signup → 409 for email and username", async () => {
    const u = await signup();
    expectError(
      await call("POST", "/api/auth/signup", {
        json: { email: u.email.toUpperCase(), username: unique("x").toLowerCase(), password: "0123456789" },
      }),
      409,
      "email_taken",
    );
    expectError(
      await call("POST", "/api/auth/signup", {
        json: { email: `${unique("x")}@example.test`, username: u.username, password: "0123456789" },
      }),
      409,
      "username_taken",
    );
  });

  test("unknown user and wrong password get the same 401", async () => {
    const u = await signup();
    const wrong = await call("POST", "/api/auth/login", { json: { login: u.username, password: "wrong password!" } });
    const unknown = await call("POST", "/api/auth/login", {
      json: { login: unique("ghost"), password: "wrong password!" },
    });
    expectError(wrong, 401, "invalid_credentials");
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  test("no token, bad token → 401", async () => {
    expectError(await call("GET", "/api/auth/me"), 401, "unauthorized");
    expectError(await call("GET", "/api/auth/me", { token: "forged" }), 401, "unauthorized");
  });

  test("devices: list sessions, revoke another device → its token is 401", async () => {
    const u = await signup();
    const phone = await call("POST", "/api/auth/login", {
      json: { login: u.username, password: u.password },
      headers: { "user-agent": "Phone/1.0" },
    });
    const list = await as(u).get("/api/auth/sessions");
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    const current = list.body.items.find((s: any) => s.current);
    const other = list.body.items.find((s: any) => !s.current);
    expect(other.user_agent).toBe("Phone/1.0");
    expect(current).toBeTruthy();
    expect((await as(u).del(`/api/auth/sessions/${other.id}`)).status).toBe(204);
    expectError(await as(phone.body).get("/api/auth/me"), 401, "unauthorized");
    expect((await as(u).get("/api/auth/me")).status).toBe(200);
    // Someone else's session id is simply not found.
    const stranger = await signup();
    expectError(await as(stranger).del(`/api/auth/sessions/${current.id}`), 404, "not_found");
    expect((await as(u).get("/api/auth/me")).status).toBe(200);
  });

  test("login is rate limited per IP + login → 429 with Retry-After", async () => {
    const u = await signup();
    const headers = { "cf-connecting-ip": "203.0.113.9" };
    await freshRateLimitWindow(10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (await call("POST", "/api/auth/login", { json: { login: u.username, password: "wrong password!" }, headers }))
          .status,
      );
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await call("POST", "/api/auth/login", {
      json: { login: u.username, password: u.password },
      headers,
    });
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another IP is not affected.
    expect(
      (
        await call("POST", "/api/auth/login", {
          json: { login: u.username, password: u.password },
          headers: { "cf-connecting-ip": "203.0.113.10" },
        })
      ).status,
    ).toBe(200);
  });
});
