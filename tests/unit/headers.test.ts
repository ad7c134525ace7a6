/**
 * web/public/_headers: the CSP must allow exactly the inline script that
 * index.html has (by hash), and carry the framing/sniffing protections. The
 * browser test (tests/e2e/security.test.ts) checks the served headers.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const headers = readFileSync(path.join(ROOT, "web/public/_headers"), "utf8");
const html = readFileSync(path.join(ROOT, "web/index.html"), "utf8");
const csp = /Content-Security-Policy: (.+)/.exec(headers)![1]!;
const directive = (name: string) =>
  csp
    .split(";")
    .map((d) => d.trim().split(/\s+/))
    .find(([n]) => n === name)
    ?.slice(1);

describe("security headers for the web app", () => {
  test("every inline script in index.html is allowed by its hash, and nothing else inline is", () => {
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline.length).toBeGreaterThan(0);
    const hashes = inline.map((s) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`);
    const scripts = directive("script-src")!;
    expect(scripts.filter((s) => s.startsWith("'sha256-")).sort()).toEqual(hashes.sort());
    expect(scripts).not.toContain("'unsafe-inline'");
    expect(scripts).not.toContain("'unsafe-eval'");
    expect(directive("style-src")).toEqual(["'self'"]);
    expect(html).not.toMatch(/\sstyle="/); // an inline style attribute would be blocked
  });

  test("no framing, no sniffing, no plugins, no <base>; applies to every path", () => {
    expect(headers).toMatch(/^\/\*$/m);
    expect(directive("default-src")).toEqual(["'none'"]);
    expect(directive("frame-ancestors")).toEqual(["'none'"]);
    expect(directive("object-src")).toEqual(["'none'"]);
    expect(directive("base-uri")).toEqual(["'none'"]);
    expect(directive("connect-src")).toEqual(["'self'"]);
    expect(headers).toMatch(/X-Frame-Options: DENY/);
    expect(headers).toMatch(/X-Content-Type-Options: nosniff/);
    expect(headers).toMatch(/Referrer-Policy: strict-origin-when-cross-origin/);
  });
});
