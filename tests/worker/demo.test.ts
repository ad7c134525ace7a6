/**
 * GET /api/demo outside `npm run dev` (no DEMO_LOGIN binding, as in production):
 * 200 with null (no console error on the sign-in page), which shows no demo login.
 * The seeded case (200 with the login) is tests/e2e/dev.test.ts.
 */
import { describe, expect, it } from "vitest";
import { call } from "../support/api";

describe("GET /api/demo", () => {
  it("is null when no demo account was seeded", async () => {
    const res = await call("GET", "/api/demo");
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect(JSON.stringify(res.body)).not.toContain("password");
  });
});
