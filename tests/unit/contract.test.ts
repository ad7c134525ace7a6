// The fake server (./harness.ts) answers as the real Worker does, and the
// contract check (./contract.ts) refuses what /api/openapi.json doesn't allow.
import { describe, expect, test } from "vitest";
import { responseProblem } from "./contract.ts";
import { harness, inboxItem } from "./harness.ts";

const send = async (h: ReturnType<typeof harness>, method: string, path: string, body?: unknown) => {
  const res = await h.server.fetch(path, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.status === 204 || res.status === 304 ? null : await res.json() };
};

describe("the fake server keeps to the API", () => {
  test("the contract check refuses routes, statuses and bodies the document doesn't have", () => {
    expect(responseProblem("PATCH", "/api/user/inbox/a", 200, inboxItem("a", "x", 1))).toMatch(/no such operation/);
    expect(responseProblem("PUT", "/api/user/inbox/a", 201, inboxItem("a", "x", 1))).toMatch(/not declared/);
    expect(responseProblem("PUT", "/api/user/inbox/a", 200, { id: "a", title: "x", version: 1 })).toMatch(/created_at/);
    expect(responseProblem("GET", "/api/sync/changes", 200, undefined)).toMatch(/declares a body/);
    expect(responseProblem("PUT", "/api/user/inbox/a", 200, inboxItem("a", "x", 1))).toBeNull();
    // A test's scripted edge answer (Cloudflare's 429/5xx) is allowed, with the error shape.
    expect(
      responseProblem("POST", "/api/user/inbox", 429, { error: { code: "rate_limited", message: "m" } }, true),
    ).toBeNull();
    expect(responseProblem("POST", "/api/user/inbox", 429, { oops: 1 }, true)).toMatch(/Error body/);
  });

  test("a repeated create: 200 with the record if the same, 409 id_conflict if not; a cursor ahead → 400", async () => {
    const h = harness();
    const first = await send(h, "POST", "/api/user/inbox", { id: "a", title: "milk" });
    expect(first).toMatchObject({ status: 201, body: { id: "a", title: "milk", version: 1 } });
    expect(await send(h, "POST", "/api/user/inbox", { id: "a", title: "milk" })).toEqual({
      status: 200,
      body: first.body,
    });
    expect(await send(h, "POST", "/api/user/inbox", { id: "a", title: "eggs" })).toMatchObject({
      status: 409,
      body: { error: { code: "id_conflict" } },
    });
    expect((await send(h, "GET", "/api/sync/changes?since=99")).status).toBe(400);
    expect(h.server.violations).toEqual([]);
    // PATCH isn't an operation of the API: recorded (and this test's afterEach would fail on it).
    expect((await send(h, "PATCH", "/api/user/inbox/a", { title: "x" })).status).toBe(404);
    expect(h.server.violations).toEqual([
      expect.stringMatching(/^PATCH \/api\/user\/inbox\/a: the API has no such operation/),
      expect.stringMatching(/no such operation/),
    ]);
    h.server.violations.length = 0;
  });
});
