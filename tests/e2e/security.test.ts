/**
 * The page's own security headers and the cross-site defences, in
 * Chromium against the real app (wrangler dev + the run's Postgres):
 *  - `/`, a deep link (SPA fallback) and an asset carry the CSP and friends
 *    from web/public/_headers, and the app runs under that CSP without a
 *    single violation (the inline theme script is allowed by its hash);
 *  - a page on a foreign origin — same site (another port on localhost, like a
 *    sibling subdomain), so the browser does attach the SameSite=Lax cookie —
 *    can't open the user's sync socket, nor sign the user out with a form post;
 *    the app's own page opens the socket with the same cookie.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "./app.ts";
import { apiAs, desktopContext, launchBrowser, sessionToken, signUp } from "./browser.ts";

declare const window: any;
declare const document: any;
declare const WebSocket: any;

let app: RunningApp;
let browser: Browser;
let ctx: BrowserContext;
let foreign: Server;
let foreignUrl: string;

/** The attacker's page: tries the socket with whatever cookie the browser sends, and a form post. */
const ATTACKER_PAGE = (appUrl: string) => `<!doctype html><html><body>
<form id="f" method="POST" action="${appUrl}/api/auth/logout" target="sink"></form>
<iframe name="sink"></iframe>
<script>
  window.socketResult = new Promise((resolve) => {
    const ws = new WebSocket("${appUrl.replace("http", "ws")}/api/sync/ws");
    ws.addEventListener("message", (e) => resolve("message: " + e.data));
    ws.addEventListener("close", (e) => resolve("closed before open: " + e.code));
  });
</script></body></html>`;

beforeAll(async () => {
  app = await startApp({ databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy") });
  foreign = createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end(ATTACKER_PAGE(app.url)));
  foreign.listen(0, "127.0.0.1");
  await once(foreign, "listening");
  // localhost, another port: a different origin but the same site, so the cookie goes along.
  foreignUrl = `http://localhost:${(foreign.address() as AddressInfo).port}/`;
  browser = await launchBrowser();
  ctx = await desktopContext(browser, app.url);
  ctx.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await ctx?.close();
  await browser?.close();
  foreign?.close();
  await app?.stop();
});

describe("the web app's own headers and cross-site defences", () => {
  it("serves the CSP, anti-framing and nosniff headers on /, deep links and assets; the app runs without a CSP violation", async () => {
    const page = await ctx.newPage();
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e: any) =>
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const res = (await page.goto("/"))!;
    const deep = await fetch(`${app.url}/references`);
    const html = await res.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const assetRes = await fetch(`${app.url}${asset}`);
    for (const [what, headers] of [
      ["/", new Headers(await res.allHeaders())],
      ["/references", deep.headers],
      [asset, assetRes.headers],
    ] as const) {
      const csp = headers.get("content-security-policy") ?? "";
      expect(csp, what).toMatch(/default-src 'none'/);
      expect(csp, what).toMatch(/frame-ancestors 'none'/);
      expect(csp, what).toMatch(/script-src 'self' 'sha256-/);
      expect(headers.get("x-frame-options"), what).toBe("DENY");
      expect(headers.get("x-content-type-options"), what).toBe("nosniff");
      expect(headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
    }
    expect(deep.status).toBe(200);
    expect(assetRes.headers.get("cache-control")).toMatch(/immutable/);

    const username = `e2e_sec_${randomUUID().slice(0, 8)}`;
    await signUp(page, { email: `${username}@example.test`, username, password: "security-pass-123" });
    // The desktop's own socket opens (same origin, same cookie) and the app works under the CSP.
    await expect.poll(() => page.getByTestId("connection-status").innerText()).toMatch(/Live/);
    for (const screen of ["Focus", "References", "Settings"]) {
      await page.getByRole("link", { name: screen, exact: true }).first().click();
      await page.getByRole("heading", { level: 1, name: screen }).waitFor();
    }
    expect(await page.evaluate(() => window.__violations)).toEqual([]);
    await page.close();
  });

  it("a foreign-origin page can't open the socket with the user's cookie, nor sign the user out", async () => {
    const token = await sessionToken(ctx); // signed in by the previous test
    expect((await apiAs(app.url, token, "GET", "/api/auth/me")).status).toBe(200);
    const cookie = (await ctx.cookies(app.url)).find((c) => c.name === "session")!;
    expect(cookie.sameSite).toBe("Lax");

    const evil = await ctx.newPage();
    await evil.goto(foreignUrl);
    const result = await evil.evaluate(() => window.socketResult);
    expect(result).toMatch(/^closed before open/);
    // The cross-site form post (the browser attaches the cookie: same site) is refused.
    const posted = evil.waitForResponse((r) => r.url().endsWith("/api/auth/logout"));
    await evil.evaluate(() => document.getElementById("f").submit());
    expect((await posted).status()).toBe(403);
    await evil.close();
    expect((await apiAs(app.url, token, "GET", "/api/auth/me")).status).toBe(200); // still signed in

    // Control: the app's own origin opens the socket with the very same cookie.
    const own = await ctx.newPage();
    await own.goto("/");
    const hello = await own.evaluate(
      () =>
        new Promise((resolve) => {
          const ws = new WebSocket(`${location.origin.replace("http", "ws")}/api/sync/ws`);
          ws.addEventListener("message", (e: any) => resolve(JSON.parse(e.data).type));
          ws.addEventListener("close", (e: any) => resolve(`closed ${e.code}`));
        }),
    );
    expect(hello).toBe("hello");
    await own.close();
  });
});

declare const location: { origin: string };
