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
});
