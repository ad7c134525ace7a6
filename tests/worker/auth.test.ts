import { describe, expect, test } from "vitest";
import { as, call, unique } from "../support/api";

describe("auth", () => {
  test("signup → me → logout → login, with bearer and cookie", async () => {
    const username = unique("a").toLowerCase();
    const email = `${username}@example.test`;
    const password = "a long enough password";
    const r = await call("POST", "/api/auth/signup", { json: { email, username, password } });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ email, username });
    expect(r.body.token).toMatch(new RegExp(`^${r.body.user.id}\\.[A-Za-z0-9_-]{43}$`));
    const cookie = r.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const me = await as(r.body).get("/api/auth/me");
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe(username);

    const viaCookie = await call("GET", "/api/auth/me", { headers: { cookie: `session=${r.body.token}` } });
    expect(viaCookie.status).toBe(200);

    expect((await as(r.body).post("/api/auth/logout")).status).toBe(204);
    expect((await as(r.body).get("/api/auth/me")).status).toBe(401);

    const login = await call("POST", "/api/auth/login", { json: { login: username, password } });
    expect(login.status).toBe(200);
    const byEmail = await call("POST", "/api/auth/login", { json: { login: email.toUpperCase(), password } });
    expect(byEmail.status).toBe(200);
    expect((await as(login.body).get("/api/auth/me")).status).toBe(200);
  });

  test("a readable signed_in marker lives and dies with the HttpOnly session cookie", async () => {
    const username = unique("m").toLowerCase();
    const password = "a long enough password";
    const r = await call("POST", "/api/auth/signup", {
      json: { email: `${username}@example.test`, username, password },
    });
    const cookies = r.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("session="))!;
    const marker = cookies.find((c) => c.startsWith("signed_in="))!;
    expect(session).toMatch(/HttpOnly/i);
    // Readable by the page (no HttpOnly), no secret in it, the same life and scope as the session.
    expect(marker).toMatch(/^signed_in=1;/);
    expect(marker).not.toMatch(/HttpOnly/i);
    for (const attr of [/Max-Age=2592000/, /Path=\//, /Secure/, /SameSite=Lax/i]) {
      expect(session).toMatch(attr);
      expect(marker).toMatch(attr);
    }
    const login = await call("POST", "/api/auth/login", { json: { login: username, password } });
    expect(login.headers.getSetCookie().some((c) => c.startsWith("signed_in=1;"))).toBe(true);

    // Signing out clears both.
    const out = await call("POST", "/api/auth/logout", {
      headers: { cookie: `session=${login.body.token}; signed_in=1` },
    });
    expect(out.status).toBe(204);
    expect(
      out.headers
        .getSetCookie()
        .filter((c) => /Max-Age=0/.test(c))
        .map((c) => c.split("=")[0]),
    ).toEqual(["session", "signed_in"]);
    // A browser whose session is gone (signed out elsewhere, expired) loses both on the app's first request…
    const stale = await call("GET", "/api/auth/session", {
      headers: { cookie: `session=${login.body.token}; signed_in=1` },
    });
    expect(stale.status).toBe(200);
    expect(stale.body.user).toBeNull();
    expect(
      stale.headers
        .getSetCookie()
        .filter((c) => /Max-Age=0/.test(c))
        .map((c) => c.split("=")[0]),
    ).toEqual(["session", "signed_in"]);
    // …while a signed-out visit without cookies gets none, and a live one keeps its cookies.
    expect((await call("GET", "/api/auth/session")).headers.getSetCookie()).toEqual([]);
    const live = await call("GET", "/api/auth/session", {
      headers: { cookie: `session=${r.body.token}; signed_in=1` },
    });
    expect(live.body.user.username).toBe(username);
    expect(live.headers.getSetCookie()).toEqual([]);
  });
});
