/**
 * Issue 22, warm start: the page keeps a copy of its first screen in
 * localStorage when it goes away (web/src/ui/first-screen.ts), index.html shows
 * it — inert, hidden from assistive technology — before any module runs, and
 * the live screen replaces it. The copy never outlives the session: signing
 * out forgets it, so the next account on this browser never sees it.
 */
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eSuite, newCreds, sessionToken, signIn, signUp, statusText } from "./browser.ts";

declare const document: any;
declare const window: any;
declare const localStorage: any;
declare const MutationObserver: any;

const KEY = "continuum.first-screen";
const rig = e2eSuite();

/** Before any page script: records the text of every copy index.html puts on screen. */
const RECORD_COPIES = () => {
  window.__copies = [];
  new MutationObserver((records: any[]) => {
    for (const r of records)
      for (const n of r.addedNodes)
        if (n.classList?.contains("first-screen"))
          window.__copies.push({ text: n.textContent, inert: n.inert, hidden: n.getAttribute("aria-hidden") });
  }).observe(document, { childList: true, subtree: true });
};

const copies = (page: Page) =>
  page.evaluate(() => window.__copies as Array<{ text: string; inert: boolean; hidden: string }>);
const kept = (page: Page) => page.evaluate((k: string) => localStorage.getItem(k) as string | null, KEY);
const inboxHeading = (page: Page) => page.getByRole("heading", { level: 1, name: "Inbox" });
const liveTitles = (page: Page) => page.locator('[data-testid="inbox-list"] .item-title').allInnerTexts();

describe("warm start: the first screen from a copy of the last one", () => {
  let ctx: BrowserContext;
  let page: Page;
  const alice = newCreds("fsa");
  const bob = newCreds("fsb");

  it("is written when the page goes away and shown, inert, on the reload; the live screen replaces it", async () => {
    ({ ctx, page } = await rig.open("desktop", "first-screen"));
    await ctx.addInitScript(RECORD_COPIES);
    await signUp(page, alice);
    const token = await sessionToken(ctx);
    for (const title of ["alice older note", "alice newest note"])
      expect((await apiAs(rig.app.url, token, "POST", "/api/user/inbox", { title })).status).toBe(201);
    await expect.poll(() => liveTitles(page), { timeout: 15_000 }).toContain("alice newest note");

    // The first load had nothing kept: no copy shown.
    expect(await copies(page)).toEqual([]);
    await page.reload();
    await inboxHeading(page).waitFor();
    await expect.poll(() => liveTitles(page), { timeout: 15_000 }).toContain("alice newest note");

    // The reload's pagehide kept the copy…
    const stored = JSON.parse((await kept(page))!) as { hash: string; html: string };
    expect(stored.html).toContain("alice newest note");
    // …without ids, test hooks, labels or inline styles (nothing a query for the live screen could hit).
    expect(stored.html).not.toMatch(/\s(id|for|style|data-testid|aria-label|aria-labelledby)=/);
    // …and the reload showed it before the live screen, inert and hidden from assistive technology.
    const shown = await copies(page);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ inert: true, hidden: "true" });
    expect(shown[0]!.text).toContain("alice newest note");
    // The live screen took over: the copy is gone, one inbox list, and the page is axe-clean.
    expect(await page.locator(".first-screen").count()).toBe(0);
    expect(await page.locator('[data-testid="inbox-list"]').count()).toBe(1);
    expect(await axeViolations(page, "inbox after a warm start")).toEqual([]);
  });

  it("is not shown on another screen than the one it copied", async () => {
    await page.evaluate(() => (window.location.hash = "#/settings"));
    await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
    await page.reload(); // keeps a copy of Settings
    await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
    expect(JSON.parse((await kept(page))!).hash).toBe("#/settings");
    // Another tab opening Search: the copy of Settings is not its first screen.
    const other = await ctx.newPage();
    await other.goto("/#/search");
    await other.getByRole("heading", { level: 1, name: "Search" }).waitFor();
    expect(await copies(other)).toEqual([]);
    await other.close();
  });

  it("is forgotten on sign-out: the next account on this browser never sees it", async () => {
    await page.evaluate(() => (window.location.hash = "#/inbox"));
    await inboxHeading(page).waitFor();
    await page.reload();
    await inboxHeading(page).waitFor();
    expect(await kept(page)).toContain("alice newest note");

    await signOut(page);
    await page.getByLabel("Email or username").waitFor();
    expect(await kept(page)).toBeNull();

    // Bob signs up on the same browser, then reloads: only his own screen, never Alice's.
    await page.evaluate(() => window.history.replaceState(null, "", "/"));
    await signUp(page, bob);
    const bobToken = await sessionToken(ctx);
    expect((await apiAs(rig.app.url, bobToken, "POST", "/api/user/inbox", { title: "bob only" })).status).toBe(201);
    await expect.poll(() => liveTitles(page), { timeout: 15_000 }).toContain("bob only");
    await page.reload();
    await inboxHeading(page).waitFor();
    const shown = await copies(page);
    expect(shown.map((c) => c.text).join(" ")).not.toContain("alice");
    expect(shown.at(-1)?.text).toContain("bob only");

    // And signing back in as Alice shows Bob's copy neither.
    await signOut(page);
    await page.getByLabel("Email or username").waitFor();
    expect(await kept(page)).toBeNull();
    await signIn(page, alice.username, alice.password);
    await page.reload();
    await inboxHeading(page).waitFor();
    expect((await copies(page)).map((c) => c.text).join(" ")).not.toContain("bob");
  });
});

/**
 * Signs out once nothing waits to be sent: a new account's first start sends its
 * time zone, and with a change still waiting Sign out asks before dropping it
 * (a dialog Playwright dismisses: no sign-out, the wait for the form times out).
 */
async function signOut(page: Page): Promise<void> {
  await expect.poll(() => statusText(page), { timeout: 30_000 }).not.toContain("waiting");
  await page
    .getByRole("button", { name: /^Sign out/ })
    .first()
    .click();
}
