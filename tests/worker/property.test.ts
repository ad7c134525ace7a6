/**
 * Property-based, driven by GET /api/openapi.json: every operation in the
 * document is thrown arbitrary input (bodies built from its declared request
 * schema's keys plus junk, odd query strings, odd path ids). Never a 5xx, every
 * error in the SPEC's format, and a refused request writes nothing to the
 * change log. (Each response is also checked against the document by
 * tests/support/contract.ts.) A route missing from the document fails here too.
 * The values come from tests/support/nasty.ts: deep nesting, lone surrogates,
 * NULs, huge numbers, odd ids.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { entities } from "../../workers/protocol/registry";
import { domains } from "../../workers/routes/index";
import { as, call, signup, type TestUser } from "../support/api";
import { openapiDocument, operations, type Operation } from "../support/contract";
import { nastyBody, nastyHeaderValue, nastyQueryValue, oddId } from "../support/nasty";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The property names of a JSON request body schema (following one `$ref`). */
async function bodyKeys(op: Operation): Promise<string[] | null> {
  let schema = op.op.requestBody?.content?.["application/json"]?.schema;
  if (!schema) return null;
  if (schema.$ref) schema = (await openapiDocument()).components.schemas[schema.$ref.split("/").pop()];
  return Object.keys(schema.properties ?? {});
}

const queryKeys = (op: Operation): string[] =>
  (op.op.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name as string);

/** Declared record types (workers/protocol/declare.ts): each one's base path and a valid create body. */
const declared = Object.values(entities).flatMap((r) => ("api" in r ? [{ path: r.api.path, sample: r.sample }] : []));

/** Id paths that stay random UUIDs on purpose (404 paths), and why. Any other id path must be seeded. */
const UNSEEDED: Record<string, string> = {
  "/api/audio/{id}": "an audio record needs uploaded bytes; uploads are seeded instead",
  "/api/history/{entry}": "history entries appear only after an update or delete",
  "/api/assistant/tool-calls/{id}":
    "a tool call is made by a conversation's run (tests/worker/undo.test.ts undoes real ones)",
};

/** One record of each kind the user owns, so path ids reach real rows (others get a random UUID: 404 paths). */
async function seed(user: TestUser): Promise<Record<string, string>> {
  const api = as(user);
  const ids: Record<string, string> = {};
  for (const { path, sample } of declared) ids[`${path}/{id}`] = (await api.post(path, sample)).body.id;
  const library = (await api.post("/api/focus/libraries", { name: "seed" })).body.id;
  const track = (
    await api.post(`/api/focus/libraries/${library}/tracks`, { title: "t", url: "https://example.test/a.mp3" })
  ).body.id;
  Object.assign(ids, {
    "/api/assistant/conversations/{id}": (await api.post("/api/assistant/conversations", { title: "seed" })).body.id,
    "/api/focus/sessions/{id}": (await api.post("/api/focus/sessions", { duration_s: 600 })).body.id,
    "/api/focus/libraries/{id}": library,
    "{trackId}": track,
    "/api/audio/uploads/{id}": (
      await api.post("/api/audio/uploads", { filename: "a.mp3", content_type: "audio/mpeg", size: 6_000_000 })
    ).body.upload_id,
    "/api/auth/sessions/{id}": crypto.randomUUID(), // never revoke the test's own session
    "/api/studio/loops/{id}": (
      await api.post("/api/studio/loops", { name: "seed", bars: 1, bpm: 90, color: "#000000" })
    ).body.id,
    "/api/studio/songs/{id}": (await api.post("/api/studio/songs", { title: "seed", bpm: 90 })).body.id,
    "/api/market/items/{id}": (await api.post("/api/market/items", { name: "seed", price: 5 })).body.id,
    "/api/market/purchases/{id}": (
      await api.post("/api/market/purchases", { item_id: "00000000-0000-4000-8000-00000000c002" })
    ).body.purchase.id,
  });
  expect(Object.values(ids).every(Boolean)).toBe(true);
  return ids;
}

/** Each path parameter of a template with what fills it: a seeded id, a fixed value, or undefined (a random UUID). */
function params(template: string, ids: Record<string, string>): Array<[param: string, upTo: string, value?: string]> {
  return (template.match(/\{[^}]+\}/g) ?? []).map((param) => {
    const upTo = template.slice(0, template.indexOf(param) + param.length);
    return [
      param,
      upTo,
      ids[upTo] ?? ids[param] ?? (param === "{action}" ? "complete" : param === "{n}" ? "1" : undefined),
    ];
  });
}

/** A concrete path for a template: the seeded id whose template is the longest prefix, else a random UUID. */
function fill(template: string, ids: Record<string, string>): string {
  let path = template;
  for (const [param, , value] of params(template, ids)) path = path.replace(param, value ?? crypto.randomUUID());
  return path;
}

async function cursor(u: TestUser) {
  const r = await as(u).get("/api/sync/changes?limit=1000");
  // A session the fuzzed request ended would make "nothing written" vacuous: say so.
  if (r.status !== 200)
    throw new Error(`the test user's session no longer works (${r.status}): add the op to ENDS_SESSION`);
  return r.body.cursor as string;
}

/** Operations that end the caller's session or account: every run gets a user of its own. */
const ENDS_SESSION = new Set(["POST /api/auth/logout", "DELETE /api/auth/account"]);
const endsSession = (op: Operation) => ENDS_SESSION.has(`${op.method} ${op.template}`);

/** The media types an operation's request body is declared in. */
const bodyTypes = (op: Operation): string[] => Object.keys(op.op.requestBody?.content ?? {});

/** Never a 5xx; a refusal in the SPEC's error format that wrote nothing to the user's log. */
async function refusedCleanly(user: TestUser, before: string | null, r: { status: number; body: any }, what: unknown) {
  expect(r.status, JSON.stringify({ what, res: r.body })).toBeLessThan(500);
  if (r.status < 400) return;
  expect(typeof r.body?.error?.code, JSON.stringify(r.body)).toBe("string");
  expect(typeof r.body?.error?.message).toBe("string");
  if (before !== null) expect(await cursor(user)).toBe(before);
}

const ops = await operations();

test("every route the Worker serves is in /api/openapi.json", () => {
  const documented = new Set(ops.map((o) => `${o.method} ${o.template}`));
  const served = domains.flatMap(({ path, app }) =>
    app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${(path + r.path).replace(/\/$/, "").replace(/:(\w+)(\{[^}]*\})?/g, "{$1}")}`),
  );
  expect(served.length).toBeGreaterThan(30);
  expect(served.filter((s) => !documented.has(s))).toEqual([]);
});

test("every id path of the document reaches a seeded record, unless UNSEEDED says why not", async () => {
  const ids = await seed(await signup());
  const random = ops.flatMap((op) => params(op.template, ids).filter(([, , value]) => value === undefined));
  expect([...new Set(random.map(([, upTo]) => upTo))].filter((upTo) => !UNSEEDED[upTo]).sort()).toEqual([]);
});

describe("arbitrary bodies never cause a 5xx; a refusal writes nothing", () => {
  const withBody = ops.filter((o) => MUTATING.has(o.method) && o.op.requestBody?.content?.["application/json"]);
  test("the document has JSON mutations to fuzz", () => expect(withBody.length).toBeGreaterThan(10));
  for (const op of withBody) {
    test(`${op.method} ${op.template}`, async () => {
      const user = await signup();
      const path = fill(op.template, await seed(user));
      const keys = (await bodyKeys(op)) ?? [];
      await fc.assert(
        fc.asyncProperty(nastyBody(keys), fc.boolean(), async (json, raw) => {
          const before = await cursor(user);
          // Sometimes send the JSON text with a byte cut off: malformed JSON.
          const text = JSON.stringify(json) ?? "null";
          const r = raw
            ? await call(op.method, path, {
                token: user.token,
                body: text.slice(0, -1),
                headers: { "content-type": "application/json" },
              })
            : await call(op.method, path, { token: user.token, json });
          expect(r.status, JSON.stringify({ json, raw, res: r.body })).toBeLessThan(500);
          if (r.status >= 400) {
            expect(typeof r.body?.error?.code).toBe("string");
            expect(typeof r.body?.error?.message).toBe("string");
            expect(await cursor(user)).toBe(before);
          }
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe("arbitrary query strings and path ids never cause a 5xx", () => {
  const lists = ops.filter((o) => o.method === "GET" && queryKeys(o).length > 0);
  for (const op of lists) {
    test(`${op.method} ${op.template}?…`, async () => {
      const user = await signup();
      const path = fill(op.template, {});
      const keys = queryKeys(op);
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.constantFrom(...keys, "extra"), nastyQueryValue, { maxKeys: 4 }),
          async (q) => {
            const r = await as(user).get(`${path}?${new URLSearchParams(q)}`);
            expect(r.status, JSON.stringify({ q, res: r.body })).toBeLessThan(500);
            if (r.status >= 400) expect(typeof r.body?.error?.code).toBe("string");
          },
        ),
        { numRuns: 20 },
      );
    });
  }

  test("every templated path with arbitrary ids answers 4xx or 2xx, never 5xx", async () => {
    const user = await signup();
    // Revoke too: no odd id (nor a random UUID) can be the test's own session.
    const templated = ops.filter((o) => o.template.includes("{"));
    expect(templated.length).toBeGreaterThan(10);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templated), oddId, async (op, id) => {
        const path = op.template.replace(/\{[^}]+\}/g, encodeURIComponent(id) || "x");
        const r = await call(op.method, path, {
          token: user.token,
          json: op.method === "PUT" || op.method === "POST" ? { title: "t" } : undefined,
        });
        expect(r.status, JSON.stringify({ op: op.template, path, res: r.body })).toBeLessThan(500);
      }),
      // `..` (a dot segment the URL parser folds away) against a nested route, every run.
      { numRuns: 80, examples: [[templated.find((o) => o.template === "/api/audio/uploads/{id}")!, ".."]] },
    );
  });
});

describe("every operation that takes a body, fuzzed: binary bodies, and bodies where none is expected", () => {
  const binary = ops.filter((o) => bodyTypes(o).some((t) => !t.includes("json")));
  const noBody = ops.filter((o) => o.method !== "GET" && !bodyTypes(o).length);
  test("the document has binary uploads and bodiless mutations", () => {
    expect(binary.map((o) => `${o.method} ${o.template}`)).toEqual(
      expect.arrayContaining(["POST /api/audio", "PUT /api/audio/uploads/{id}/parts/{n}"]),
    );
    expect(noBody.length).toBeGreaterThan(10);
  });
  // With the JSON ones above: every operation that can carry a body.
  test("JSON, binary and bodiless operations together are every non-GET operation", () => {
    const json = ops.filter((o) => MUTATING.has(o.method) && o.op.requestBody?.content?.["application/json"]);
    const covered = new Set([...json, ...binary, ...noBody]);
    expect(ops.filter((o) => o.method !== "GET" && !covered.has(o))).toEqual([]);
  });

  for (const op of binary) {
    test(`${op.method} ${op.template} (bytes)`, async () => {
      const user = await signup();
      const path = fill(op.template, await seed(user));
      const types = [...bodyTypes(op), "audio/wav", "application/json", "text/plain", ""];
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 4096 }),
          fc.constantFrom(...types),
          fc.option(nastyHeaderValue, { nil: undefined }),
          async (bytes, type, filename) => {
            const before = await cursor(user);
            const headers: Record<string, string> = { "content-type": type };
            if (filename !== undefined) headers["x-filename"] = filename;
            const r = await call(op.method, path, { token: user.token, body: bytes, headers });
            await refusedCleanly(user, before, r, { type, filename, size: bytes.length });
          },
        ),
        { numRuns: 15 },
      );
    });
  }

  for (const op of noBody) {
    test(`${op.method} ${op.template} (an unexpected body)`, async () => {
      let user = await signup();
      const ids = await seed(user);
      await fc.assert(
        fc.asyncProperty(nastyBody([]), fc.boolean(), async (json, raw) => {
          if (endsSession(op)) user = await signup();
          const before = endsSession(op) ? null : await cursor(user);
          const path = fill(op.template, endsSession(op) ? {} : ids);
          const text = JSON.stringify(json) ?? "null";
          const r = await call(op.method, path, {
            token: user.token,
            body: raw ? text.slice(0, -1) : text,
            headers: { "content-type": "application/json" },
          });
          await refusedCleanly(user, before, r, { json, raw });
        }),
        { numRuns: endsSession(op) ? 4 : 10 },
      );
    });
  }
});

describe("headers fuzzed on every operation", () => {
  /** What any route may read, beyond the headers an operation declares. */
  const COMMON = [
    "content-type",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-client-id",
    "range",
    "if-range",
    "origin",
    "cookie",
    "accept",
  ];
  const headerKeys = (op: Operation): string[] =>
    [
      ...new Set([
        ...(op.op.parameters ?? []).filter((p: any) => p.in === "header").map((p: any) => String(p.name).toLowerCase()),
        ...COMMON,
      ]),
    ].filter((h) => !["content-length", "upgrade"].includes(h));

  let shared: { user: TestUser; ids: Record<string, string> } | undefined;
  for (const op of ops) {
    test(`${op.method} ${op.template} (headers)`, async () => {
      shared ??= await (async () => {
        const user = await signup();
        return { user, ids: await seed(user) };
      })();
      const keys = headerKeys(op);
      expect(keys.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.constantFrom(...keys), nastyHeaderValue, { minKeys: 1, maxKeys: 4 }),
          async (headers) => {
            const user = endsSession(op) ? await signup() : shared!.user;
            const before = endsSession(op) || op.method === "GET" ? null : await cursor(user);
            const path = fill(op.template, endsSession(op) ? {} : shared!.ids);
            const r = await call(op.method, path, {
              token: user.token,
              headers,
              ...(bodyTypes(op).some((t) => t.includes("json")) ? { body: "{}" } : {}),
            });
            await refusedCleanly(user, before, r, { headers });
          },
        ),
        { numRuns: endsSession(op) ? 3 : 8 },
      );
    });
  }
});

/**
 * Issue 19: the same document-driven operations, sent by a second user B with
 * the first user A's ids in every path (and, in bodies, as the record's own
 * id): never a 5xx, nothing of A's in any answer, nothing of A's changed.
 */
describe("a second user against the first user's ids", () => {
  const templated = ops.filter((o) => o.template.includes("{"));
  test("the document has templated routes to aim at A's records", () => expect(templated.length).toBeGreaterThan(10));
  for (const op of templated) {
    test(`B → ${op.method} ${op.template} with A's ids`, async () => {
      const a = await signup();
      const ids = await seed(a);
      const b = await signup();
      const path = fill(op.template, ids);
      const aIds = Object.values(ids);
      const keys = (await bodyKeys(op)) ?? [];
      const before = await cursor(a);
      await fc.assert(
        fc.asyncProperty(nastyBody(keys), fc.constantFrom(...aIds), fc.boolean(), async (json, aId, reuse) => {
          const body =
            op.op.requestBody?.content?.["application/json"] === undefined
              ? undefined
              : reuse && json && typeof json === "object" && !Array.isArray(json)
                ? { ...(json as object), id: aId }
                : json;
          const r = await call(op.method, path, { token: b.token, json: body });
          const shown = JSON.stringify({ body, res: r.body });
          expect(r.status, shown).toBeLessThan(500);
          const text = JSON.stringify(r.body ?? "");
          expect(text, shown).not.toContain(a.username);
          expect(text, shown).not.toContain(a.email);
        }),
        { numRuns: 8 },
      );
      // Nothing of A's changed: A's change log did not move.
      expect(await cursor(a)).toBe(before);
    });
  }
});
