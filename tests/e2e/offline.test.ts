/**
 * Issue 15: no network, still an app. The service worker (vite-plugin-pwa)
 * precaches the shell; a cold reload while offline opens the app from it with
 * the records cached in IndexedDB, a capture made offline waits in the outbox
 * and reaches the server exactly once when the network returns. The service
 * worker never answers /api/* and Cache Storage never holds an API response.
 */
import type { BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiAs, e2eRig, newCreds, sessionToken, signUp, statusText } from "./browser.ts";

declare const navigator: any;
declare const caches: any;
declare const indexedDB: any;

const rig = e2eRig();
let ctx: BrowserContext;
let page: Page;
const responses: Response[] = [];
let errors: string[] = [];

beforeAll(async () => {
  await rig.start();
  ({ ctx, page, errors } = await rig.open("desktop", "desktop"));
  page.on("response", (r) => responses.push(r));
});

afterAll(() => rig.stop());

const titles = () => page.locator("main .item-title").allInnerTexts();

describe("offline cold start (PWA)", () => {
  it("is installable: a manifest with icons, and a service worker that takes over", async () => {
    await signUp(page, newCreds("off"));

    const manifest: any = await (await fetch(`${rig.app.url}/manifest.webmanifest`)).json();
    expect(manifest).toMatchObject({ name: "Continuum", display: "standalone", start_url: "/" });
    expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(
      expect.arrayContaining(["192x192", "512x512"]),
    );
    expect(manifest.icons.some((i: { purpose: string }) => i.purpose === "maskable")).toBe(true);
    // Active = installed = the whole shell precached. `ready` resolves once there is an active
    // worker, which may still be "activating" for a moment: wait for the state, don't race it.
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state))
      .toBe("activated");
  });

  it("reloads cold with no network: the cached inbox renders and a capture waits in the outbox", async () => {
    const token = await sessionToken(ctx);
    for (const title of ["cached one", "cached two"])
      expect((await apiAs(rig.app.url, token, "POST", "/api/user/inbox", { title })).status).toBe(201);
    await expect.poll(titles).toEqual(expect.arrayContaining(["cached one", "cached two"]));

    await ctx.setOffline(true);
    const doc = await page.reload({ waitUntil: "load" });
    expect(doc?.fromServiceWorker()).toBe(true); // the shell, from the precache
    await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
    await expect.poll(titles).toEqual(expect.arrayContaining(["cached one", "cached two"]));
    await expect.poll(() => statusText(page)).toBe("Offline");
    // A brand-new tab, still offline: nothing in memory, only the SW and IndexedDB.
    const tab = await ctx.newPage();
    expect((await tab.goto("/"))?.fromServiceWorker()).toBe(true);
    await tab.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
    await expect.poll(() => tab.locator("main .item-title").allInnerTexts()).toContain("cached two");
    await tab.close();

    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill("captured offline #pwa");
    await omnibar.press("Enter");
    await expect.poll(titles).toContain("captured offline");
    await expect.poll(() => statusText(page)).toBe("Offline — 1 change waiting");

    await ctx.setOffline(false);
    await expect.poll(() => statusText(page), { timeout: 30_000 }).toBe("Live");
    const server = async () =>
      (await apiAs<{ items: Array<{ title: string }> }>(rig.app.url, token, "GET", "/api/user/inbox?page_size=100"))
        .body.items;
    await expect.poll(async () => (await server()).filter((i) => i.title === "captured offline").length).toBe(1);
    expect((await titles()).filter((t) => t === "captured offline")).toHaveLength(1);
  });

  it("an app update while offline keeps the queued edits: they reach the server once back online", async () => {
    const token = await sessionToken(ctx);
    await expect.poll(() => statusText(page)).toBe("Live");
    await ctx.setOffline(true);
    await expect.poll(() => statusText(page)).toBe("Offline");
    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill("queued before the update");
    await omnibar.press("Enter");
    await expect.poll(titles).toContain("queued before the update");
    await page
      .locator("main li.item")
      .filter({ has: page.locator(".item-title", { hasText: "cached one" }) })
      .getByRole("button", { name: /^Edit/ })
      .click();
    await page.getByLabel("Title", { exact: true }).fill("cached one, edited offline");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(titles).toContain("cached one, edited offline");
    await expect.poll(() => statusText(page)).toBe("Offline — 2 changes waiting");

    // "Update the app": the cache in IndexedDB now carries a format version other
    // than the running build's (as after a release that bumped CACHE_SCHEMA_VERSION),
    // and the app starts again — cold, still offline, from the service worker.
    const storedVersion = () =>
      page.evaluate(
        () =>
          new Promise<unknown>((resolve, reject) => {
            const open = indexedDB.open("continuum");
            open.addEventListener("error", () => reject(open.error));
            open.addEventListener("success", () => {
              const get = open.result.transaction("meta").objectStore("meta").get("schema_version");
              get.addEventListener("success", () => (open.result.close(), resolve(get.result)));
            });
          }),
      );
    const current = (await storedVersion()) as number;
    await page.evaluate(
      (older) =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open("continuum");
          open.addEventListener("error", () => reject(open.error));
          open.addEventListener("success", () => {
            const tx = open.result.transaction("meta", "readwrite");
            tx.objectStore("meta").put(older, "schema_version");
            tx.addEventListener("complete", () => (open.result.close(), resolve()));
          });
        }),
      current - 1,
    );
    expect((await page.reload({ waitUntil: "load" }))?.fromServiceWorker()).toBe(true);
    await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
    // The record cache may go; the two queued edits may not.
    await expect.poll(() => statusText(page)).toBe("Offline — 2 changes waiting");
    await expect
      .poll(titles)
      .toEqual(expect.arrayContaining(["queued before the update", "cached one, edited offline"]));
    expect(await storedVersion()).toBe(current);

    await ctx.setOffline(false);
    await expect.poll(() => statusText(page), { timeout: 30_000 }).toBe("Live");
    const server = async () =>
      (
        await apiAs<{ items: Array<{ title: string }> }>(rig.app.url, token, "GET", "/api/user/inbox?page_size=100")
      ).body.items.map((i) => i.title);
    await expect
      .poll(server)
      .toEqual(expect.arrayContaining(["queued before the update", "cached one, edited offline"]));
    const onServer = await server();
    expect(onServer.filter((t) => t === "queued before the update")).toHaveLength(1);
    expect(onServer).not.toContain("cached one");
    // The records came back from the server: the list is whole again, each once.
    await expect.poll(async () => (await titles()).filter((t) => t === "cached two").length).toBe(1);
  });

  it("never answers /api/* from the service worker, nor caches an API response", async () => {
    const api = responses.filter((r) => new URL(r.url()).pathname.startsWith("/api/"));
    expect(api.length).toBeGreaterThan(0);
    expect(api.filter((r) => r.fromServiceWorker()).map((r) => r.url())).toEqual([]);
    // And from inside the page: nothing under /api/ in any cache.
    const cached: string[] = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys())
        for (const req of await (await caches.open(name)).keys()) urls.push(req.url);
      return urls;
    });
    expect(cached.length).toBeGreaterThan(0); // the precache is there
    expect(cached.filter((u) => new URL(u).pathname.startsWith("/api/"))).toEqual([]);
    expect(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e))).toEqual([]);
  });
});
