// The `npm run check` rule against timed assertions (scripts/check-timed-asserts.ts)
// bites on the shapes it is meant to catch and lets deadlines and virtual time pass.
// (Snippets are assembled from pieces so this file doesn't trip the rule itself.)
import { describe, expect, test } from "vitest";
import { findTimedAsserts } from "../../scripts/check-timed-asserts.ts";

const E = ["exp", "ect"].join("");
const flagged = (src: string) => findTimedAsserts("x.test.ts", src).map((f) => f.line);

describe("no timed assertions in tests", () => {
  test("a duration from the clock compared in an assertion is found", () => {
    expect(
      flagged(`const t0 = Date.now();\nawait go();\nconst ms = Date.now() - t0;\n${E}(ms).toBeLessThan(1000);`),
    ).toEqual([4]);
    expect(flagged(`const t0 = performance.now();\n${E}(performance.now() - t0).toBeLessThanOrEqual(50);`)).toEqual([
      2,
    ]);
    expect(
      flagged(
        `const start = Date.now();\nconst took = Date.now() - start;\nconst s = took / 1000;\n${E}(2).toBeGreaterThan(s);`,
      ),
    ).toEqual([4]);
    // A timestamp taken inside a page and read back, as the old e2e live check did.
    expect(
      flagged(
        `w.e2eDarkAt ??= Date.now();\nconst darkAt = await page.evaluate(() => w.e2eDarkAt);\nconst changedAt = await page.evaluate(() => w.e2eChangedAt = Date.now());\nconst liveMs = darkAt - changedAt;\n${E}(liveMs).not.toBeGreaterThan(1000);`,
      ),
    ).toEqual([5]);
  });

  test("deadlines, virtual clocks and non-ordering matchers pass", () => {
    expect(flagged(`${E}(row.expiresAt).toBeGreaterThan(Date.now() + 40 * 86_400_000);`)).toEqual([]);
    expect(
      flagged(`const gaps = times(reqs, clock.now);\n${E}(Math.max(...gaps)).toBeLessThanOrEqual(120_000);`),
    ).toEqual([]);
    expect(
      flagged(`const t0 = Date.now();\nconst ms = Date.now() - t0;\nconsole.log(ms);\n${E}(ms).toBeTypeOf("number");`),
    ).toEqual([]);
  });
});
