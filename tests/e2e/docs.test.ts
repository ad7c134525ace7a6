/**
 * GET /api/docs renders Scalar's interactive reference in Chromium with every
 * host but the app's own blocked (SPEC §5 "works offline"): its script and
 * styles come from the Worker, and it reads /api/openapi.json.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";
import { startApp, type RunningApp } from "./app.ts";
import { desktopContext, launchBrowser, watchPage } from "./browser.ts";

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp({ databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy") });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe("API docs", () => {
  it("render from the Worker alone: no request leaves its origin", async () => {
    const context = await desktopContext(browser, app.url);
    const origin = new URL(app.url).origin;
    const foreign: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const { errors } = watchPage(page, "docs");
    const loaded: string[] = [];
    page.on("requestfinished", (r) => loaded.push(new URL(r.url()).pathname));
    const res = await page.goto("/api/docs");
    expect(res?.status()).toBe(200);
    // Scalar renders the document: its title, every tag in the sidebar, and operations by path.
    const ready = () => page.getByRole("heading", { name: "Continuum API" }).count();
    await expect.poll(ready, { message: `errors: ${errors.join("; ")}` }).toBeGreaterThan(0);
    for (const tag of ["Auth", "Inbox", "Focus libraries", "Audio", "Sync"])
      await expect.poll(() => page.getByText(tag, { exact: true }).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText("/api/health").count()).toBeGreaterThan(0);
    expect(loaded).toContain("/docs/scalar.js");
    expect(loaded).toContain("/api/openapi.json");
    expect(foreign, `requests to other hosts: ${foreign.join(", ")}`).toEqual([]);
    expect(errors.filter((e) => !/favicon/.test(e))).toEqual([]);
    await context.close();
  });

  it("the document is public and complete enough to call the API from it", async () => {
    const res = await fetch(`${app.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0]!.url).toBe(new URL(app.url).origin);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
  });
});
