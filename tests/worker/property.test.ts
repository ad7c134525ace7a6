/**
 * Property-based: arbitrary JSON (and near-valid shapes) thrown at every
 * mutating route never yields a 500, always answers in the error format, and
 * a rejected request writes nothing to the change log.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";

type Route = { method: string; path: (ctx: Ctx) => string; keys: string[] };
interface Ctx {
  user: TestUser;
  itemId: string;
  focusId: string;
  libraryId: string;
  trackId: string;
  referenceId: string;
}

const routes: Route[] = [
  { method: "POST", path: () => "/api/user/inbox", keys: ["id", "title", "description", "tags"] },
  { method: "PUT", path: (c) => `/api/user/inbox/${c.itemId}`, keys: ["title", "description", "tags", "version"] },
  { method: "PUT", path: () => "/api/settings", keys: ["theme", "accessibility", "ui", "sync", "version"] },
  { method: "POST", path: () => "/api/focus/sessions", keys: ["id", "duration_s", "label"] },
  { method: "POST", path: () => "/api/focus/pause", keys: [] },
  { method: "POST", path: () => "/api/focus/resume", keys: [] },
  { method: "POST", path: (c) => `/api/focus/sessions/${c.focusId}/complete`, keys: [] },
  { method: "POST", path: () => "/api/focus/libraries", keys: ["id", "name", "description", "favorite"] },
  {
    method: "PUT",
    path: (c) => `/api/focus/libraries/${c.libraryId}`,
    keys: ["name", "description", "favorite", "version"],
  },
  {
    method: "POST",
    path: (c) => `/api/focus/libraries/${c.libraryId}/tracks`,
    keys: ["id", "title", "audio_id", "url", "duration_s", "position"],
  },
  {
    method: "PUT",
    path: (c) => `/api/focus/libraries/${c.libraryId}/tracks/${c.trackId}`,
    keys: ["title", "audio_id", "url", "duration_s", "position", "version"],
  },
  {
    method: "POST",
    path: () => "/api/references",
    keys: ["id", "title", "content", "url", "category", "tags", "pinned", "archived", "audio_id"],
  },
  {
    method: "PUT",
    path: (c) => `/api/references/${c.referenceId}`,
    keys: ["title", "content", "url", "category", "tags", "pinned", "archived", "audio_id", "version"],
  },
  { method: "POST", path: () => "/api/audio/uploads", keys: ["filename", "content_type", "size", "id"] },
  { method: "POST", path: () => "/api/auth/signup", keys: ["email", "username", "password"] },
  { method: "POST", path: () => "/api/auth/login", keys: ["login", "password"] },
];

/** Values that stress validators: wrong types, huge/edge numbers, odd strings, nesting. */
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    "",
    " ",
    -1,
    0,
    1e308,
    -0,
    2 ** 53,
    "0".repeat(600),
    "\u0000",
    "💥".repeat(30),
    "' OR 1=1 --",
    "<script>",
  ),
  fc.string({ maxLength: 80 }),
  fc.array(fc.string({ maxLength: 60 }), { maxLength: 25 }),
  fc.integer(),
  fc.double(),
);
const body = (keys: string[]) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    keys.length
      ? fc.dictionary(fc.constantFrom(...keys, "extra"), nasty, { maxKeys: keys.length + 1 })
      : fc.constant({}),
  );

async function cursor(u: TestUser) {
  return (await as(u).get("/api/sync/changes?limit=1000")).body.cursor as string;
}

describe("arbitrary input never causes a 500", () => {
  for (const route of routes) {
    const placeholder = {
      user: null as never,
      itemId: ":id",
      focusId: ":id",
      libraryId: ":id",
      trackId: ":id",
      referenceId: ":id",
    };
    test(`${route.method} ${route.path(placeholder)}`, async () => {
      const user = await signup();
      const itemId = (await as(user).post("/api/user/inbox", { title: "seed" })).body.id;
      const focusId = (await as(user).post("/api/focus/sessions", { duration_s: 600 })).body.id;
      const libraryId = (await as(user).post("/api/focus/libraries", { name: "seed" })).body.id;
      const trackId = (
        await as(user).post(`/api/focus/libraries/${libraryId}/tracks`, {
          title: "t",
          url: "https://example.test/a.mp3",
        })
      ).body.id;
      const referenceId = (await as(user).post("/api/references", { title: "seed" })).body.id;
      const ctx: Ctx = { user, itemId, focusId, libraryId, trackId, referenceId };
      expect([itemId, focusId, libraryId, trackId, referenceId].every(Boolean)).toBe(true);
      await fc.assert(
        fc.asyncProperty(body(route.keys), fc.boolean(), async (json, raw) => {
          const before = await cursor(user);
          // Sometimes send the JSON text with a byte cut off: malformed JSON.
          const text = JSON.stringify(json) ?? "null";
          const r = raw
            ? await call(route.method, route.path(ctx), {
                token: user.token,
                body: text.slice(0, -1),
                headers: { "content-type": "application/json" },
              })
            : await call(route.method, route.path(ctx), { token: user.token, json });
          expect(r.status, JSON.stringify({ json, raw, res: r.body })).toBeLessThan(500);
          if (r.status >= 400) {
            expect(typeof r.body?.error?.code).toBe("string");
            expect(typeof r.body?.error?.message).toBe("string");
            expect(await cursor(user)).toBe(before);
          }
        }),
        { numRuns: 30 },
      );
    });
  }
});

/** Odd text for query values and path segments: NUL, unicode, quotes, huge numbers, SQL/tsquery syntax. */
const oddText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "",
    "0",
    "-1",
    "1e999",
    "99999999999999999999",
    "\u0000",
    "%",
    "'",
    "a:*|!b",
    "💥",
    "null",
    "true",
    "all",
  ),
);

describe("arbitrary query strings and path ids never cause a 500", () => {
  const lists = [
    { path: "/api/user/inbox", keys: ["page", "page_size", "tag"] },
    { path: "/api/focus/sessions", keys: ["page", "page_size"] },
    { path: "/api/focus/libraries", keys: ["page", "page_size"] },
    { path: "/api/references", keys: ["page", "page_size", "category", "tag", "q", "archived"] },
    { path: "/api/audio", keys: ["page", "page_size"] },
    { path: "/api/sync/changes", keys: ["since", "limit"] },
  ];
  for (const list of lists) {
    test(`GET ${list.path}?…`, async () => {
      const user = await signup();
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom(...list.keys, "extra"), oddText, { maxKeys: 4 }), async (q) => {
          const r = await as(user).get(`${list.path}?${new URLSearchParams(q)}`);
          expect(r.status, JSON.stringify({ q, res: r.body })).toBeLessThan(500);
          if (r.status >= 400) expect(typeof r.body?.error?.code).toBe("string");
        }),
        { numRuns: 25 },
      );
    });
  }

  test("record paths with arbitrary ids: GET/PUT/DELETE answer 4xx, never 500", async () => {
    const user = await signup();
    const templates = [
      "/api/user/inbox/:id",
      "/api/focus/sessions/:id",
      "/api/focus/sessions/:id/complete",
      "/api/focus/libraries/:id",
      "/api/focus/libraries/:id/tracks/:id",
      "/api/references/:id",
      "/api/audio/:id",
      "/api/audio/:id/meta",
      "/api/audio/uploads/:id",
      "/api/auth/sessions/:id",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...templates),
        fc.constantFrom("GET", "PUT", "DELETE", "POST"),
        fc.oneof(oddText, fc.uuid()),
        async (template, method, id) => {
          const path = template.replaceAll(":id", encodeURIComponent(id) || "x");
          const r = await call(method, path, {
            token: user.token,
            json: method === "PUT" ? { title: "t" } : undefined,
          });
          expect(r.status, JSON.stringify({ method, path, res: r.body })).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });
});
