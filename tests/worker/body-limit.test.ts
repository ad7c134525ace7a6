/**
 * Issue 19 point 4: an oversized JSON body is refused (413) before anything
 * parses it and before the session or token is checked — on /mcp as on every
 * /api route — whether it declares its size or streams without one.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, test } from "vitest";
import { BASE, signup } from "../support/api";

const LIMIT = 256 * 1024;
const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(LIMIT + 10) } });

/** A body without Content-Length: a stream, sent in chunks. */
const streamed = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.slice(i, i + 64 * 1024));
      controller.close();
    },
  });
};

async function post(path: string, body: BodyInit, headers: Record<string, string>) {
  const res = await exports.default.fetch(
    new Request(`${BASE}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body,
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit),
  );
  return { status: res.status, queries: res.headers.get("x-db-queries"), body: await res.json().catch(() => null) };
}

describe("oversized bodies are refused first", () => {
  const routes = ["/mcp", "/api/user/inbox", "/api/todos", "/api/auth/login", "/api/assistant/conversations"];
  const auth = [
    ["no token", {}],
    ["a bad token", { authorization: "Bearer 00000000-0000-4000-8000-000000000000.not-a-real-secret-at-all" }],
  ] as const;

  for (const path of routes)
    for (const [who, headers] of auth)
      test(`${path} with ${who}: 413 for a declared or a streamed size, before the token and without a query`, async () => {
        for (const body of [big, streamed(big)]) {
          const r = await post(path, body, headers);
          expect(r.status, `${path} ${who} ${typeof body}`).toBe(413);
          expect(r.body).toMatchObject({ error: { code: "payload_too_large" } });
          expect([null, "0"]).toContain(r.queries); // the session was never looked up
        }
      });

  test("a signed-in user gets the same 413, and a body just under the limit still parses (422, not 413)", async () => {
    const u = await signup();
    const headers = { authorization: `Bearer ${u.token}` };
    expect((await post("/mcp", streamed(big), headers)).status).toBe(413);
    expect((await post("/api/user/inbox", big, headers)).status).toBe(413);
    const under = JSON.stringify({ title: "x", nope: "y".repeat(LIMIT - 100) });
    expect((await post("/api/user/inbox", streamed(under), headers)).status).toBe(422);
  });
});
