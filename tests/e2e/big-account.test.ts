/**
 * Issue 22 in the browser, on a modest generated account (bench/scale's
 * fillBigAccount, hundreds of records: CI-sized; the 50 000-item account is
 * the bench's, `npm run bench -- --big`): the lists keep a bounded number of
 * rows in the DOM and stay keyboard- and screen-reader-usable; the Search
 * screen answers offline from the device's records, accents folded, tags
 * too; and a device whose cursor fell out of retention recovers through the
 * 410 path without losing the edits it queued offline.
 */
import type { BrowserContext, Page } from "playwright-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fillBigAccount, type BigAccount } from "../../bench/scale/generate.ts";
import { apiAs, axeViolations, e2eRig, navigate, statusText, type DeviceKind } from "./browser.ts";

declare const document: any;

const SIZES = {
  inbox: 400,
  todos: 150,
  references: 120,
  refBytes: 600,
  loops: 5,
  libraries: 2,
  tracksPerLibrary: 3,
  conversations: 2,
  messagesPerConversation: 2,
  transactions: 5,
  keys: 5,
  likes: 2,
  plays: 2,
  ghosts: 10,
};
/** The list's hard cap on rendered rows (web/src/components/VirtualList.tsx MAX_ROWS). */
const MAX_ROWS = 60;

const rig = e2eRig({ timeout: 30_000 });
let db: pg.Client;
let big: BigAccount;

beforeAll(async () => {
  db = new pg.Client({ connectionString: inject("ownerDatabaseUrl") });
  await db.connect();
  big = await fillBigAccount(db, { sizes: SIZES });
  await rig.start();
}, 240_000);

afterAll(async () => {
  await rig.stop();
  await db?.end().catch(() => {});
});

/** A device signed in as the generated account (its session cookie), on the Inbox with every record loaded. */
async function device(kind: DeviceKind, name: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const { ctx, page } = await rig.open(kind, name, (c) =>
    c.addCookies([{ name: "session", value: big.token, url: rig.app.url }]),
  );
  await page.goto("/");
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
  await loaded(page);
  return { ctx, page };
}

/** The device's cached cursor (IndexedDB meta), or null while it is still loading everything. */
const cachedCursor = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string | null>((resolve, reject) => {
        const open = (globalThis as any).indexedDB.open("continuum");
        open.addEventListener("error", () => reject(open.error));
        open.addEventListener("success", () => {
          const get = open.result.transaction("meta").objectStore("meta").get("cursor");
          get.addEventListener("success", () => (open.result.close(), resolve(get.result ?? null)));
        });
      }),
  );

async function loaded(page: Page): Promise<void> {
  await expect.poll(() => cachedCursor(page), { timeout: 60_000 }).not.toBeNull();
}

const openCount = async () =>
  Number(
    (
      await db.query(
        `select count(*)::int as n from inbox_items where user_id = $1 and done_at is null and archived_at is null`,
        [big.id],
      )
    ).rows[0].n,
  );

describe("big lists", () => {
  it("the inbox keeps a bounded number of rows in the DOM, each placed in the whole list for screen readers", async () => {
    const { page } = await device("desktop", "desktop");
    const open = await openCount();
    expect(open).toBeGreaterThan(MAX_ROWS * 2);
    const list = page.getByTestId("inbox-list");
    await expect.poll(() => list.locator(":scope > li").count()).toBeGreaterThan(0);
    const rows = await list.locator(":scope > li").count();
    expect(rows).toBeLessThanOrEqual(MAX_ROWS);
    const first = list.locator(":scope > li").first();
    expect(await first.getAttribute("aria-posinset")).toBe("1");
    expect(await first.getAttribute("aria-setsize")).toBe(String(open));
    // Scrolled to the bottom: other rows, still a bounded number.
    await page.evaluate(() => (globalThis as any).scrollTo(0, document.documentElement.scrollHeight));
    await expect.poll(() => list.locator(":scope > li").last().getAttribute("aria-posinset")).toBe(String(open));
    expect(await list.locator(":scope > li").count()).toBeLessThanOrEqual(MAX_ROWS);
  });

  it("keyboard: ArrowDown/ArrowUp move between rows, End and Home reach rows that were not rendered", async () => {
    const page = rig.contexts[0]!.pages()[0]!;
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    const list = page.getByTestId("inbox-list");
    const focusedRow = () =>
      page.evaluate(() => document.activeElement?.closest("li[aria-posinset]")?.getAttribute("aria-posinset") ?? null);
    // The scroll re-renders the window on the next frame: until then the first row in the DOM is one from
    // the bottom, which the re-render removes (and focus with it). Wait for the top row itself.
    await expect
      .poll(() => list.locator(":scope > li").first().getAttribute("aria-posinset"), { timeout: 10_000 })
      .toBe("1");
    await list.locator(":scope > li").first().getByRole("checkbox").focus();
    expect(await focusedRow()).toBe("1");
    await page.keyboard.press("ArrowDown");
    await expect.poll(focusedRow).toBe("2");
    await page.keyboard.press("ArrowUp");
    await expect.poll(focusedRow).toBe("1");
    const open = await openCount();
    await page.keyboard.press("End");
    await expect.poll(focusedRow).toBe(String(open));
    await page.keyboard.press("Home");
    await expect.poll(focusedRow).toBe("1");
    expect(await list.locator(":scope > li").count()).toBeLessThanOrEqual(MAX_ROWS);
    // Tab walks from a row's controls on into the next row's.
    for (let i = 0; i < 8 && (await focusedRow()) === "1"; i++) await page.keyboard.press("Tab");
    expect(await focusedRow()).toBe("2");
  });

  it("references and todos are windowed too; every list screen is axe-clean on desktop and phone", async () => {
    const desktop = rig.contexts[0]!.pages()[0]!;
    const { page: phone } = await device("phone", "phone");
    for (const [page, kind] of [
      [desktop, "desktop"],
      [phone, "phone"],
    ] as const) {
      await navigate(page, "inbox");
      await page.getByTestId("inbox-list").waitFor();
      expect(await axeViolations(page, `${kind} inbox`)).toEqual([]);
      await navigate(page, "references");
      await page.getByTestId("reference-list").waitFor();
      expect(await page.getByTestId("reference-list").locator(":scope > li").count()).toBeLessThanOrEqual(MAX_ROWS);
      expect(await axeViolations(page, `${kind} references`)).toEqual([]);
      await navigate(page, "assistant");
      await page.getByTestId("todo-list").waitFor();
      expect(await page.getByTestId("todo-list").locator(":scope > li").count()).toBeLessThanOrEqual(MAX_ROWS);
      expect(await axeViolations(page, `${kind} assistant`)).toEqual([]);
    }
  });
});

describe("search everything, offline", () => {
  it("finds accented and tagged records across inbox, references and todos with no network", async () => {
    const page = rig.contexts[0]!.pages()[0]!;
    const ctx = rig.contexts[0]!;
    const as = (method: string, route: string, body: unknown) => apiAs(rig.app.url, big.token, method, route, body);
    expect((await as("POST", "/api/user/inbox", { title: "Café with Zoë", tags: ["meetings"] })).status).toBe(201);
    expect(
      (await as("POST", "/api/references", { title: "Crème brûlée", content: "Torch the sugar.", tags: ["desserts"] }))
        .status,
    ).toBe(201);
    expect((await as("POST", "/api/todos", { title: "Réserver l'hôtel" })).status).toBe(201);
    await navigate(page, "search");
    const box = page.getByLabel("Search the inbox, references and todos");
    const results = () => page.getByTestId("search-results").locator(".item-title").allInnerTexts();
    // The three records reached this device (live) before it goes offline.
    await box.fill("cafe zoe");
    await expect.poll(results).toEqual(["Café with Zoë"]);
    await box.fill("reserver hotel");
    await expect.poll(results).toEqual(["Réserver l'hôtel"]);

    await ctx.setOffline(true);
    await expect.poll(() => statusText(page)).toMatch(/^Offline/);
    await box.fill("creme brulee");
    await expect.poll(results).toEqual(["Crème brûlée"]);
    await box.fill("#desserts");
    await expect.poll(results).toEqual(["Crème brûlée"]);
    await box.fill("#meetings café");
    await expect.poll(results).toEqual(["Café with Zoë"]);
    await box.fill("HÔTEL");
    await expect.poll(results).toEqual(["Réserver l'hôtel"]);
    await box.fill("zzzz-nothing-like-this");
    await expect.poll(() => page.getByTestId("search-count").innerText()).toBe("0 matches.");
    expect(await axeViolations(page, "desktop search (offline)")).toEqual([]);
    await ctx.setOffline(false);
  });
});

describe("30 days away: the 410 path", () => {
  it("a device whose cursor fell out of retention reloads everything and keeps the edits it queued offline", async () => {
    const page = rig.contexts[0]!.pages()[0]!;
    const ctx = rig.contexts[0]!;
    await navigate(page, "inbox");
    await expect.poll(() => statusText(page)).toBe("Live");
    const before = await cachedCursor(page);
    expect(before).not.toBeNull();

    await ctx.setOffline(true);
    await expect.poll(() => statusText(page)).toMatch(/^Offline/);
    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill("captured while away #away");
    await omnibar.press("Enter");
    await expect.poll(() => statusText(page)).toBe("Offline — 1 change waiting");

    // Meanwhile: another device writes, and the server's retention drops the log below it
    // (the floor rises past this device's cursor, as after 30 days of compaction).
    const other = await apiAs(rig.app.url, big.token, "POST", "/api/user/inbox", { title: "made elsewhere meanwhile" });
    expect(other.status).toBe(201);
    // The floor goes one past the last cursor handed out: Playwright's offline mode leaves an open
    // WebSocket open, so the write above may already have reached this device (its cursor = change_seq).
    await db.query(`update users set change_seq = change_seq + 1, change_floor = change_seq + 1 where id = $1`, [
      big.id,
    ]);
    const floor = Number(
      (await db.query(`select change_floor from users where id = $1`, [big.id])).rows[0].change_floor,
    );
    expect(floor).toBeGreaterThan(Number(before));

    const statuses: Array<[string, number]> = [];
    page.on("response", (r) => {
      const p = new URL(r.url()).pathname;
      if (p.startsWith("/api/sync/")) statuses.push([p, r.status()]);
    });
    await ctx.setOffline(false);
    await expect.poll(() => statusText(page), { timeout: 60_000 }).toBe("Live");
    // It was told 410, then walked the snapshot again.
    // "Live" can show before the pull that meets the 410 (the socket is up first): wait for the pull
    // itself, as long as the other waits here (expect.poll's default is one second).
    await expect
      .poll(() => statuses.some(([p, s]) => p === "/api/sync/changes" && s === 410), { timeout: 60_000 })
      .toBe(true);
    await expect
      .poll(() => statuses.findIndex(([p]) => p === "/api/sync/snapshot"), { timeout: 60_000 })
      .toBeGreaterThan(statuses.findIndex(([p, s]) => p === "/api/sync/changes" && s === 410));
    await expect.poll(async () => Number(await cachedCursor(page)), { timeout: 60_000 }).toBeGreaterThanOrEqual(floor);

    // The queued capture reached the server exactly once, and both records are on this device.
    const onServer = async () =>
      Number(
        (
          await db.query(
            `select count(*)::int as n from inbox_items where user_id = $1 and title = 'captured while away'`,
            [big.id],
          )
        ).rows[0].n,
      );
    await expect.poll(onServer).toBe(1);
    await page.getByLabel("Search", { exact: true }).fill("while away");
    await expect
      .poll(() => page.getByTestId("inbox-list").locator(".item-title").allInnerTexts())
      .toEqual(["captured while away"]);
    await page.getByLabel("Search", { exact: true }).fill("made elsewhere meanwhile");
    await expect
      .poll(() => page.getByTestId("inbox-list").locator(".item-title").allInnerTexts())
      .toEqual(["made elsewhere meanwhile"]);
    expect(rig.pageErrors).toEqual([]);
  });
});
