/**
 * GET /api/demo outside `npm run dev` (no DEMO_LOGIN binding, as in production):
 * a 404 in the SPEC's error format, so the sign-in page shows no demo login.
 * The seeded case (200 with the login) is tests/e2e/dev.test.ts.
 */
import { describe, expect, it } from "vitest";
import { call } from "../support/api";

describe("GET /api/demo", () => {
  it("is a plain 404 when no demo account was seeded", async () => {
    const res = await call("GET", "/api/demo");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: "not_found" } });
    expect(JSON.stringify(res.body)).not.toContain("password");
  });
});
