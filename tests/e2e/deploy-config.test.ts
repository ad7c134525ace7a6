// The Workers AI binding lives only in the generated deploy configuration (a Node test: it reads files).
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { AI_BINDING, deployConfig } from "../../scripts/deploy-config.ts";

const base = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");

describe("deploy configuration", () => {
  test("wrangler.toml (dev and tests) has no ai binding; the deploy config is it plus exactly one", () => {
    expect(base).not.toMatch(/^\s*\[ai\]/m);
    const out = deployConfig(base);
    expect(out).toContain(base.trimEnd());
    expect(out.match(/^\[ai\]$/gm)).toHaveLength(1);
    expect(out.endsWith(AI_BINDING)).toBe(true);
  });

  test("refuses a wrangler.toml that already binds Workers AI", () => {
    expect(() => deployConfig(`${base}\n[ai]\nbinding = "AI"\n`)).toThrow(/must not bind/);
  });
});
