/**
 * Sockets never outlive their session: the hub's alarm checks the sockets'
 * sessions against Postgres (expired, revoked, pruned → closed with 4001;
 * slid → new expiry kept), revoke and logout close directly, and the prune
 * job closes the sockets of the sessions it deletes.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { pruneExpired } from "../../workers/jobs/prune";
import { endSessionSockets, userHub } from "../../workers/sync/relay";
import { as, call, signup } from "../support/api";
import { openSocket } from "../support/socket";
import { withOwnerDb } from "../support/db";

const sessionOf = async (token: string) => {
  const items = (await as({ token }).get("/api/auth/sessions")).body.items as any[];
  return items.find((s) => s.current)!.id as string;
};

describe("sockets end with their session", () => {
  test("the hub's alarm closes a socket whose session expired, keeps the others, and learns a slid expiry", async () => {
    const u = await signup();
    const other = (await call("POST", "/api/auth/login", { json: { login: u.username, password: u.password } })).body;
    const expiring = await openSocket(u.token);
    const staying = await openSocket(other.token);
    await expiring.next((m) => m.type === "hello");
    await staying.next((m) => m.type === "hello");
    const [expiringId, stayingId] = [await sessionOf(u.token), await sessionOf(other.token)];
    await withOwnerDb(async (db) => {
      await db.execute(sql`update sessions set expires_at = now() - interval '1 second' where id = ${expiringId}`);
      await db.execute(sql`update sessions set expires_at = now() + interval '45 days' where id = ${stayingId}`);
    });
    const hub = userHub(env, u.id);
    // The socket's own upgrade scheduled the alarm.
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await expiring.closed).toEqual({ code: 4001, reason: "session ended" });
    const kept = await runInDurableObject(hub, (_, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment() as { sessionId: string; expiresAt: number }),
    );
    expect(kept.map((a) => a.sessionId)).toEqual([stayingId]);
    expect(kept[0]!.expiresAt).toBeGreaterThan(Date.now() + 40 * 86_400_000);
    // Rescheduled while a socket stays open.
    expect(await runInDurableObject(hub, (_, state) => state.storage.getAlarm())).not.toBeNull();
    expect((await as(other).post("/api/user/inbox", { title: "still live" })).status).toBe(201);
    expect((await staying.next((m) => m.type === "changes")).changes[0].data.title).toBe("still live");
    staying.close();
  });

  test("a session deleted behind the hub's back (a lost close call) is closed by the alarm", async () => {
    const u = await signup();
    const ws = await openSocket(u.token);
    await ws.next((m) => m.type === "hello");
    await withOwnerDb((db) => db.execute(sql`delete from sessions where user_id = ${u.id}`));
    expect(await runDurableObjectAlarm(userHub(env, u.id))).toBe(true);
    expect((await ws.closed).code).toBe(4001);
  });

  test("revoking a device closes its socket at once (no alarm needed)", async () => {
    const u = await signup();
    const other = (await call("POST", "/api/auth/login", { json: { login: u.username, password: u.password } })).body;
    const ws = await openSocket(other.token);
    await ws.next((m) => m.type === "hello");
    expect((await as(u).del(`/api/auth/sessions/${await sessionOf(other.token)}`)).status).toBe(204);
    expect((await ws.closed).code).toBe(4001);
    const mine = await openSocket(u.token);
    await mine.next((m) => m.type === "hello");
    expect((await as(u).post("/api/auth/logout")).status).toBe(204);
    expect((await mine.closed).code).toBe(4001);
  });

  test("the prune job closes the sockets of the sessions it deletes, and reports them", async () => {
    const u = await signup();
    const ws = await openSocket(u.token);
    await ws.next((m) => m.type === "hello");
    await withOwnerDb((db) =>
      db.execute(sql`update sessions set expires_at = now() - interval '1 hour' where user_id = ${u.id}`),
    );
    const ended: [string, string[]][] = [];
    const counts = await withOwnerDb((db) =>
      pruneExpired(
        db,
        new Date(),
        async (userId, ids) => {
          ended.push([userId, ids]);
          await endSessionSockets(env, userId, ids);
        },
        { userId: u.id }, // all files share one database: only this test's user
      ),
    );
    expect(counts.sessions).toBe(1);
    expect(ended.map(([id, ids]) => [id, ids.length])).toEqual([[u.id, 1]]);
    expect((await ws.closed).code).toBe(4001);
  });
});
