/**
 * Market, end to end: the real app (wrangler dev + embedded Postgres) in
 * Chromium, one account on a desktop (socket), a second desktop (socket) and a
 * phone (polling). Coins earned on one device, spent on another, and what they
 * buy (an accent theme) follows the account. Flows share the account and run
 * in order; waits are event-driven and bounded (no timed asserts).
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiAs, e2eRig, newCreds, screenshot, signIn, signUp, unlabeledControls } from "./browser.ts";
import { testDb } from "./db.ts";

declare const document: any;
declare const window: any;
declare const location: { hash: string };

/** The phone polls every 5 s (backing off while idle): generous but bounded. */
const POLL_WAIT = { timeout: 45_000, interval: 250 };
const FOREST = "00000000-0000-4000-8000-00000000a001";

const rig = e2eRig();
const { contexts, pageErrors } = rig;
let db: ReturnType<typeof testDb>;
let desktop: Page;
let desktop2: Page;
let phone: Page;
let token: string;

const creds = newCreds("mkt");

const api = <T = any>(method: string, path: string, json?: unknown) => apiAs<T>(rig.app.url, token, method, path, json);
const balance = async () => (await api<{ balance: number }>("GET", "/api/market/wallet")).body.balance;
/** The header's balance, as a user (or screen reader) sees it. */
const badge = (page: Page) =>
  page
    .getByTestId("wallet-badge")
    .innerText()
    .catch(() => "");
const badgeCoins = async (page: Page) => Number((await badge(page)).match(/(\d+)/)?.[1] ?? NaN);

/** Buy through the UI: the Buy button asks, the dialog's button buys. */
async function buy(page: Page, slug: string, price: number) {
  const item = page.locator(`[data-testid="market-item"][data-slug="${slug}"]`);
  await item.getByRole("button", { name: new RegExp(`Buy for ${price}`) }).click();
  const dialog = page.getByRole("dialog", { name: /^Buy / });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: `Buy for ${price} coins` }).click();
  await dialog.waitFor({ state: "hidden" });
  return item;
}

const go = async (page: Page, view: string) => {
  await page.goto(`/#/${view}`);
  await page.waitForFunction((v) => location.hash === `#/${v}`, view);
  await page.locator("main h1").first().waitFor();
};

/** Start a session in the UI, let it "run" `minutes` (moved back in the database), complete it in the UI. */
async function focusFor(page: Page, minutes: number) {
  await go(page, "focus");
  await page.getByLabel("Minutes").fill(String(minutes));
  await page.getByRole("button", { name: "Start focus" }).click();
  await page.getByRole("timer").waitFor();
  await expect.poll(async () => (await api("GET", "/api/focus/active")).body.session?.id ?? null).not.toBeNull();
  const { session } = (await api("GET", "/api/focus/active")).body;
  await db.query(`update focus_sessions set started_at = now() - make_interval(mins => $2) where id = $1`, [
    session.id,
    minutes,
  ]);
  await page.getByRole("button", { name: "Complete" }).click();
  await expect.poll(async () => (await api("GET", `/api/focus/sessions/${session.id}`)).body.status).toBe("completed");
}

beforeAll(async () => {
  await rig.start();
  db = testDb(inject("ownerDatabaseUrl"), inject("wsProxy"));
});

afterAll(async () => {
  await db?.close();
  await rig.stop();
  expect(pageErrors).toEqual([]);
});

describe("market across a desktop, a second desktop and a phone", () => {
  it("signs in everywhere; every device shows the 100-coin welcome", async () => {
    desktop = (await rig.open("desktop", "desktop")).page;
    desktop2 = (await rig.open("desktop", "desktop2")).page;
    phone = (await rig.open("phone", "phone")).page;
    token = await signUp(desktop, creds);
    await api("PUT", "/api/settings", { sync: { poll_interval_s: 5 } });
    await signIn(desktop2, creds.username, creds.password);
    await signIn(phone, creds.email, creds.password);
    for (const p of [desktop, desktop2, phone]) await expect.poll(() => badgeCoins(p), POLL_WAIT).toBe(100);
  });

  it("a session completed on the desktop: '+N coins' live on the second desktop, the new balance on the phone's next poll", async () => {
    await go(phone, "market");
    await focusFor(desktop, 60); // 60 coins + first session (20) + deep work (30)
    const expected = 100 + 60 + 20 + 30;
    expect(await balance()).toBe(expected);
    await expect.poll(() => badgeCoins(desktop2), { timeout: 10_000 }).toBe(expected);
    // The change, and what paid it: the minutes and the two achievements by name.
    const toast = () => desktop2.getByTestId("coin-toast").innerText();
    await expect.poll(toast, { timeout: 10_000 }).toMatch(/^\+110 coins — /);
    for (const why of ["60 focused minutes", "First focus", "Deep work"]) expect(await toast()).toContain(why);
    await expect.poll(() => badgeCoins(phone), POLL_WAIT).toBe(expected);
    await expect.poll(() => phone.getByTestId("market-balance").innerText(), POLL_WAIT).toContain(`${expected} coins`);
    // The ledger on the phone lists the earning and the two bonuses.
    await expect.poll(() => phone.getByTestId("ledger").locator("tbody tr").count(), POLL_WAIT).toBe(4);
  });

  it("buying on the phone updates the desktop's inventory and balance", async () => {
    await go(desktop, "market");
    const forest = await buy(phone, "theme-forest", 150);
    await expect.poll(() => forest.innerText(), POLL_WAIT).toContain("Owned");
    const after = 210 - 150 + 10; // the first-purchase bonus
    await expect.poll(() => badgeCoins(phone), POLL_WAIT).toBe(after);
    await expect.poll(() => badgeCoins(desktop), { timeout: 10_000 }).toBe(after);
    await expect
      .poll(() => desktop.getByTestId("inventory").innerText(), { timeout: 10_000 })
      .toContain("Forest accent");
    await expect
      .poll(() => desktop.locator('[data-testid="market-item"][data-slug="theme-forest"]').innerText())
      .toContain("Owned");
    const purchases = (await api("GET", "/api/market/purchases")).body;
    expect(purchases.items.map((p: any) => p.item_id)).toEqual([FOREST]);
    // Keyboard and screen reader: every control on the screen has a name.
    expect(await unlabeledControls(desktop)).toEqual([]);
    expect(await unlabeledControls(phone)).toEqual([]);
    await desktop.evaluate(() => window.scrollTo(0, 0));
    await phone.evaluate(() => window.scrollTo(0, 0));
    await screenshot(desktop, "market-desktop");
    await screenshot(phone, "market-phone");
  });

  it("an owned accent theme applied on the desktop shows on the second desktop live and on the phone by poll", async () => {
    await go(desktop, "settings");
    const accent = (p: Page) => p.evaluate(() => document.documentElement.dataset.accent ?? null);
    expect(await accent(desktop2)).toBeNull();
    await desktop.getByLabel("Forest accent").check();
    await expect.poll(() => accent(desktop)).toBe("forest");
    await expect.poll(() => accent(desktop2), { timeout: 10_000 }).toBe("forest");
    await expect.poll(() => accent(phone), POLL_WAIT).toBe("forest");
    expect((await api("GET", "/api/settings")).body.accent).toBe("forest");
  });

  it("an unaffordable item can't be bought from the UI; an offline queue the balance can't cover is refused in plain words", async () => {
    await go(desktop, "market");
    const before = await badgeCoins(desktop);
    // 250 coins with 70: the button is disabled and says what is missing.
    const early = desktop.locator('[data-testid="market-item"][data-slug="treat-early-finish"]');
    expect(await early.getByRole("button", { name: /Buy for 250/ }).isDisabled()).toBe(true);
    expect(await early.getByTestId("coins-short").innerText()).toBe(`${250 - before} more coins needed`);
    // Cancel in the dialog buys nothing.
    await early
      .page()
      .locator('[data-slug="treat-walk"]')
      .getByRole("button", { name: /Buy for 40/ })
      .click();
    await desktop.getByRole("dialog", { name: "Buy Walk outside?" }).getByRole("button", { name: "Cancel" }).click();
    await desktop.getByRole("dialog").waitFor({ state: "hidden" });
    expect((await api("GET", "/api/market/purchases")).body.items).toHaveLength(1);
    // Offline the server can't check the balance: three treats (40 + 25 + 15) with 70 coins queue; the
    // server takes them in order and refuses the last. A pending item can't be bought twice meanwhile.
    await contexts[0]!.setOffline(true);
    try {
      const walk = await buy(desktop, "treat-walk", 40);
      await walk.getByRole("button", { name: /Buying…/ }).waitFor();
      expect(await walk.getByRole("button", { name: /Buy for 40/ }).count()).toBe(0);
      await buy(desktop, "treat-snack", 25);
      await buy(desktop, "treat-stretch", 15);
      expect(await badgeCoins(desktop)).toBe(before);
      expect(await desktop.getByTestId("market-balance").innerText()).toContain("3 purchases waiting for the server");
    } finally {
      await contexts[0]!.setOffline(false);
    }
    await desktop
      .getByText(/Buying “Stretch break” didn't go through: This costs 15 coins — more than your balance\./)
      .waitFor({ timeout: 30_000 });
    const spent = 40 + 25;
    await expect.poll(() => badgeCoins(desktop), { timeout: 10_000 }).toBe(before - spent);
    expect(await balance()).toBe(before - spent);
    const ledger = (await api("GET", "/api/market/transactions?page_size=100")).body.items as any[];
    expect(ledger.reduce((s, t) => s + t.amount, 0)).toBe(before - spent);
  });

  it("an owned soundscape appears in Focus's soundtrack picker and plays, generated in the browser", async () => {
    await focusFor(desktop, 115); // 5 + 115 = 120
    await go(desktop, "market");
    const brown = await buy(desktop, "sound-brown", 120);
    await expect.poll(() => brown.innerText(), { timeout: 10_000 }).toContain("Owned");
    await go(desktop, "focus");
    const picker = desktop.getByLabel("Soundtrack (optional)");
    await expect.poll(() => picker.locator("option").allInnerTexts()).toContain("Brown noise");
    await picker.selectOption({ label: "Brown noise" });
    await desktop.getByRole("button", { name: "Start focus" }).click();
    const player = desktop.getByTestId("soundscape-player");
    await player.waitFor();
    await expect.poll(() => player.innerText()).toContain("Brown noise");
    // The Start click is the user gesture the AudioContext needs: it runs.
    await expect.poll(() => player.innerText()).toContain("(playing)");
    await desktop.getByRole("button", { name: "Mute soundscape" }).waitFor();
    // Abandon asks first.
    await desktop.getByRole("button", { name: "Abandon" }).click();
    await desktop.getByRole("button", { name: "Keep going" }).click();
    await desktop.getByRole("button", { name: "Abandon" }).click();
    await desktop.getByRole("button", { name: "Yes, abandon" }).click();
    await player.waitFor({ state: "detached" });
  });
});
