/** DELETE /api/auth/account: nothing of the user remains; other users keep theirs (README, Your data). */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { as, call, signup } from "../support/api";
import { populate, rowsOf, userTables } from "../support/account";
import { dbRows } from "../support/db";
import { openSocket } from "../support/socket";

const deleteAccount = (token: string, password: string, headers: Record<string, string> = {}) =>
  call("DELETE", "/api/auth/account", { token, json: { password }, headers });

describe("delete my account", () => {
  test("the catalog lists the user tables this test counts", async () => {
    // A guard for the count below: if it found no tables, "0 rows everywhere" would prove nothing.
    const tables = await userTables();
    for (const t of ["sessions", "change_log", "inbox_items", "loops", "loop_likes", "market_transactions"])
      expect(tables).toContain(t);
  });

  test("a wrong or missing password changes nothing", async () => {
    const u = await signup();
    const before = await rowsOf(u.id);
    const wrong = await deleteAccount(u.token, "not my password");
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe("wrong_password");
    expect((await call("DELETE", "/api/auth/account", { token: u.token, json: {} })).status).toBe(422);
    expect((await call("DELETE", "/api/auth/account", { json: { password: u.password } })).status).toBe(401);
    expect(await rowsOf(u.id)).toEqual(before);
    expect((await as(u).get("/api/auth/me")).status).toBe(200);
  });

  test("every row, object, session, token and socket of the user goes; the other user keeps theirs", async () => {
    const [u, other] = [await signup(), await signup()];
    const made = await populate(u, other);
    const token = (await as(u).post("/api/auth/tokens", { name: "cli" })).body.token as string;
    const socket = await openSocket(u.token);
    await socket.next((m) => m.type === "hello");
    const otherSocket = await openSocket(other.token);
    await otherSocket.next((m) => m.type === "hello");

    const mine = await rowsOf(u.id);
    // The fixture really filled every domain: each of these tables holds rows of the user.
    for (const t of [
      "inbox_items",
      "audio_files",
      "focus_tracks",
      "reference_items",
      "todos",
      "messages",
      "tool_calls",
    ])
      expect(mine[t], t).toBeGreaterThan(0);
    for (const t of ["loops", "loop_likes", "songs", "market_items", "user_market_purchases", "sessions"])
      expect(mine[t], t).toBeGreaterThan(0);
    expect((await env.AUDIO.list({ prefix: `u/${u.id}/` })).objects.length).toBeGreaterThan(0);
    const theirsBefore = await rowsOf(other.id);

    const r = await deleteAccount(u.token, u.password, { "idempotency-key": "delete-me" });
    expect(r.status).toBe(204);
    expect(r.headers.get("set-cookie")).toMatch(/^session=;/);

    // Postgres: no row holds the user's id, in any table with a user_id.
    const left = await rowsOf(u.id);
    expect(
      Object.values(left).every((n) => n === 0),
      JSON.stringify(left),
    ).toBe(true);
    // Nor any uuid column anywhere else (e.g. another loop's parent, a play's user).
    const uuidColumns = await dbRows<{ table: string; column: string }>(sql`
      select c.relname as table, a.attname as column from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and a.atttypid = 'uuid'::regtype and a.attnum > 0 and not a.attisdropped`);
    for (const { table, column } of uuidColumns) {
      const [hit] = await dbRows<{ n: number }>(
        sql`select count(*)::int as n from ${sql.identifier(table)} where ${sql.identifier(column)} = ${u.id}`,
      );
      expect(hit!.n, `${table}.${column}`).toBe(0);
    }
    // R2: nothing under the user's prefix.
    expect((await env.AUDIO.list({ prefix: `u/${u.id}/` })).objects).toEqual([]);
    // Sessions and tokens: dead at once; the open socket was closed by the server.
    expect((await socket.closed).code).toBe(4001);
    expect((await as(u).get("/api/auth/me")).status).toBe(401);
    expect((await call("GET", "/api/auth/me", { token })).status).toBe(401);
    // A retry of the same delete finds no session: there is nothing left to delete.
    expect((await deleteAccount(u.token, u.password, { "idempotency-key": "delete-me" })).status).toBe(401);

    // The other user: their remix of the deleted user's loop stays, attributed to a deleted user…
    const remix = await as(other).get(`/api/studio/loops/${made.theirRemix.id}`);
    expect(remix.status).toBe(200);
    expect(remix.body).toMatchObject({ parent_loop_id: null, parent_owner_deleted: true, name: made.theirRemix.name });
    // …their loop no longer counts the deleted user's like and remix…
    const theirs = await as(other).get(`/api/studio/loops/${made.theirs.id}`);
    expect(theirs.body).toMatchObject({ likes_count: 0, remixes_count: 0 });
    // …and their devices heard all of it: the remix, the counters, the like of the deleted loop gone.
    const heard = await otherSocket.next(
      (m) => m.type === "changes" && m.changes.some((ch: any) => ch.entity === "loop_like" && ch.op === "delete"),
    );
    expect(heard.changes.find((ch: any) => ch.entity === "loop_like").id).toBe(made.loop.id);
    const feed = await as(other).get("/api/sync/changes");
    const latest = new Map<string, any>(feed.body.changes.map((ch: any) => [`${ch.entity}:${ch.id}`, ch]));
    expect(latest.get(`loop:${made.theirRemix.id}`).data.parent_owner_deleted).toBe(true);
    expect(latest.get(`loop:${made.theirs.id}`).data).toMatchObject({ likes_count: 0, remixes_count: 0 });
    expect(latest.get(`loop_like:${made.loop.id}`).op).toBe("delete");
    expect(otherSocket.messages.some((m) => m.type === "hello")).toBe(true);

    // Every other row of theirs is intact: only their like of the deleted loop went, and their log grew.
    const theirsAfter = await rowsOf(other.id);
    for (const table of Object.keys(theirsBefore)) {
      if (table === "change_log" || table === "idempotency_keys") continue;
      const expected = table === "loop_likes" ? theirsBefore[table]! - 1 : theirsBefore[table];
      expect(theirsAfter[table], table).toBe(expected);
    }
    expect(theirsAfter.change_log).toBeGreaterThan(theirsBefore.change_log!);
    expect((await as(other).get("/api/auth/me")).status).toBe(200);
    otherSocket.close();
  });
});
