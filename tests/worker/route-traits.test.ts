/**
 * Route traits (http/openapi.ts `route()`): what a route needs from the request
 * pipeline is declared at the route, and the handler's context type follows.
 * The `@ts-expect-error` lines are part of the test: `npm run typecheck`
 * fails if a pipelined handler could reach a binding or an unconfirmed user
 * field, or an awaited one could not.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { describe, expect, test } from "vitest";
import { onError } from "../../workers/errors";
import { confirmed, createApi, jsonContent, register, route } from "../../workers/http/openapi";
import { signup } from "../support/api";

const probe = createApi();
const answer = jsonContent(z.object({ id: z.string(), username: z.string() }), "who");

register(
  probe,
  route({ method: "get", path: "/pipelined", pipelined: true, responses: { 200: answer } }),
  async (c) => {
    // @ts-expect-error a pipelined handler has no bindings before the session is confirmed
    void c.env.AUDIO;
    // @ts-expect-error nor user fields other than the id its token names
    void c.var.user.username;
    const full = await confirmed(c); // no query yet: the session check is sent alone
    void full.env.AUDIO; // …and afterwards the full context is there
    return c.json({ id: c.var.user.id, username: full.var.user.username });
  },
);

register(
  probe,
  route({ method: "get", path: "/pipelined-query", pipelined: true, responses: { 200: answer } }),
  async (c) => {
    await c.var.db.execute(sql`select 1`); // carries the session check
    const { user } = (await confirmed(c)).var;
    return c.json({ id: user.id, username: user.username });
  },
);

register(probe, route({ method: "get", path: "/awaited", responses: { 200: answer } }), (c) => {
  void c.env.AUDIO; // an awaited handler runs after the check: bindings and the user are plain values
  return c.json({ id: c.var.user.id, username: c.var.user.username });
});

register(
  probe,
  route({ method: "get", path: "/public", session: "none", db: false, responses: { 200: answer } }),
  (c) => {
    // @ts-expect-error a route without a session has no user
    void c.var.user;
    if (c.var.db) throw new Error("a db: false route must not open a database handle");
    return c.json({ id: "-", username: "-" });
  },
);
probe.onError(onError);

async function get(path: string, token?: string) {
  const ctx = createExecutionContext();
  const res = await probe.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} }, env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, queries: res.headers.get("x-db-queries"), body: (await res.json()) as any };
}

describe("route traits", () => {
  test("pipelined: the confirmed user comes from confirmed(c), with or without a query first", async () => {
    const u = await signup();
    const alone = await get("/pipelined", u.token);
    expect([alone.status, alone.body, alone.queries]).toEqual([200, { id: u.id, username: u.username }, "1"]);
    const carried = await get("/pipelined-query", u.token);
    expect([carried.status, carried.body, carried.queries]).toEqual([200, { id: u.id, username: u.username }, "1"]);
  });

  test("pipelined: a refused session is a 401 whatever the handler did", async () => {
    const u = await signup();
    const other = await signup();
    const forged = `${u.id}.${other.token.split(".")[1]}`;
    for (const path of ["/pipelined", "/pipelined-query", "/awaited"]) {
      const r = await get(path, forged);
      expect([path, r.status, r.body.error.code]).toEqual([path, 401, "unauthorized"]);
    }
  });

  test("awaited and public routes get what they declared", async () => {
    const u = await signup();
    const awaited = await get("/awaited", u.token);
    expect([awaited.status, awaited.body]).toEqual([200, { id: u.id, username: u.username }]);
    const open = await get("/public");
    expect([open.status, open.queries]).toEqual([200, null]);
  });
});
