/** The OpenAPI document: generated, complete, and served with the docs page. */
import { describe, expect, test } from "vitest";
import { call } from "../support/api";

describe("GET /api/openapi.json", () => {
  test("is OpenAPI 3.1 and lists the SPEC's routes with the shared error body", async () => {
    const r = await call("GET", "/api/openapi.json");
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas.Error).toBeDefined();
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    for (const op of [
      "POST /api/auth/signup",
      "POST /api/auth/login",
      "GET /api/settings",
      "PUT /api/user/inbox/{id}",
      "POST /api/focus/sessions/{id}/{action}",
      "PUT /api/focus/libraries/{id}/tracks/{trackId}",
      "GET /api/audio/{id}",
      "GET /api/references",
      "GET /api/sync/changes",
      "GET /api/sync/ws",
    ])
      expect(ops).toContain(op);
  });
});
