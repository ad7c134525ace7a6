/**
 * The server side of issue #25's polish: inbox items ticked off and archived,
 * devices the user names, and the signed-out session check that answers 200
 * (so the sign-in page logs no error).
 */
import { describe, expect, test } from "vitest";
import { as, call, signup } from "../support/api";

describe("inbox done and archive", () => {
  test("done and archived are server-stamped toggles, in the feed, and bad values change nothing", async () => {
    const u = await signup();
    const created = await as(u).post("/api/user/inbox", { title: "Call the bank" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ done_at: null, archived_at: null });
    const id = created.body.id;

    const done = await as(u).put(`/api/user/inbox/${id}`, { done: true });
    expect(done.status).toBe(200);
    // Stamped by the server, after the item existed (the client sent no time).
    expect(Date.parse(done.body.done_at)).toBeGreaterThanOrEqual(Date.parse(created.body.created_at) - 1000);
    expect(done.body.archived_at).toBeNull();
    expect(done.body.version).toBe(2);

    const archived = await as(u).put(`/api/user/inbox/${id}`, { archived: true, version: 2 });
    expect(archived.status).toBe(200);
    expect(archived.body.done_at).toBe(done.body.done_at);
    expect(archived.body.archived_at).not.toBeNull();

    const reopened = await as(u).put(`/api/user/inbox/${id}`, { done: false, archived: false });
    expect(reopened.body).toMatchObject({ done_at: null, archived_at: null, version: 4 });

    // Clients can't choose the time, and a non-boolean is refused.
    expect((await as(u).put(`/api/user/inbox/${id}`, { done_at: "2020-01-01T00:00:00Z" })).status).toBe(422);
    expect((await as(u).put(`/api/user/inbox/${id}`, { done: "yes" })).status).toBe(422);
    expect((await as(u).get(`/api/user/inbox/${id}`)).body.version).toBe(4);

    const feed = (await as(u).get("/api/sync/changes")).body.changes.filter((c: any) => c.id === id);
    expect(feed.at(-1)).toMatchObject({ op: "upsert", data: { done_at: null, archived_at: null, version: 4 } });

    // Another user can't tick it.
    const other = await signup();
    expect((await as(other).put(`/api/user/inbox/${id}`, { done: true })).status).toBe(404);
  });
});

describe("device names", () => {
  test("a device can be named and un-named by its owner only; tokens and bad names are refused", async () => {
    const u = await signup();
    const second = await call("POST", "/api/auth/login", {
      json: { login: u.username, password: u.password },
      headers: { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)" },
    });
    expect(second.status).toBe(200);
    const list = async () => (await as(u).get("/api/auth/sessions")).body.items as any[];
    const phone = (await list()).find((s) => !s.current)!;
    expect(phone.device_name).toBeNull();

    expect((await as(u).put(`/api/auth/sessions/${phone.id}`, { device_name: "  Ana's phone " })).status).toBe(204);
    expect((await list()).find((s) => s.id === phone.id)!.device_name).toBe("Ana's phone");

    for (const bad of [{ device_name: "" }, { device_name: "x".repeat(61) }, { name: "x" }, {}])
      expect((await as(u).put(`/api/auth/sessions/${phone.id}`, bad)).status).toBe(422);
    expect((await list()).find((s) => s.id === phone.id)!.device_name).toBe("Ana's phone");

    const other = await signup();
    expect((await as(other).put(`/api/auth/sessions/${phone.id}`, { device_name: "Mine" })).status).toBe(404);
    expect((await as(u).put(`/api/auth/sessions/not-a-uuid`, { device_name: "x" })).status).toBe(404);

    // An access token keeps the name it was created with.
    const token = await as(u).post("/api/auth/tokens", { name: "ci" });
    expect(token.status).toBe(201);
    const tokenRow = (await list()).find((s) => s.kind === "token")!;
    expect((await as(u).put(`/api/auth/sessions/${tokenRow.id}`, { device_name: "x" })).status).toBe(404);

    expect((await as(u).put(`/api/auth/sessions/${phone.id}`, { device_name: null })).status).toBe(204);
    expect((await list()).find((s) => s.id === phone.id)!.device_name).toBeNull();
  });
});

describe("GET /api/auth/session", () => {
  test("200 with the user when signed in, 200 with null when not (or when the session ended)", async () => {
    const u = await signup();
    expect((await call("GET", "/api/auth/session")).body).toEqual({ user: null });
    const signedIn = await as(u).get("/api/auth/session");
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toMatchObject({ id: u.id, username: u.username });
    expect(JSON.stringify(signedIn.body)).not.toContain("password");
    expect((await as(u).post("/api/auth/logout")).status).toBe(204);
    const after = await as(u).get("/api/auth/session");
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ user: null });
  });
});
