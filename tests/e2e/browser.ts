/**
 * Chromium driven by playwright-core — the system's, or the one `npm install`
 * brings (scripts/chromium.ts decides) — plus the two device profiles the e2e
 * tests use and small page helpers.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { launchChromium } from "../../scripts/chromium.ts";
import { ROOT } from "../../scripts/wrangler-dev.ts";
import { startApp, type RunningApp } from "./app.ts";

// Browser globals, for the callbacks that run inside pages (this project compiles without the DOM lib).
declare const document: any;
declare const requestAnimationFrame: (cb: () => void) => number;
declare const location: { hash: string };

export function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

export const PHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** A desktop: fine pointer, wide screen — the app holds a WebSocket. */
export function desktopContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
    locale: "en-US",
    timezoneId: "UTC",
  });
}

/** An iPhone-sized touch device: coarse pointer, narrow — the app polls. */
export function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent: PHONE_UA,
    colorScheme: "light",
    locale: "en-US",
    timezoneId: "UTC",
  });
}

/** Fails the test on uncaught page errors; keeps console errors for failure messages. */
export function watchPage(page: Page, name: string): { errors: string[] } {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`[${name}] pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`[${name}] console: ${msg.text()}`);
  });
  return { errors };
}

export type DeviceKind = "desktop" | "phone";

/**
 * One e2e file's app (wrangler dev on the run's database) and Chromium, and
 * every context the file opens: `start()` in beforeAll, `stop()` in afterAll.
 */
export function e2eRig(opts: { timeout?: number } = {}) {
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error("e2eRig: start() first");
    return x;
  };
  const rig = {
    get app(): RunningApp {
      return started(app);
    },
    get started(): boolean {
      return app !== undefined;
    },
    contexts: [] as BrowserContext[],
    /** Each opened page's watchPage list (uncaught errors and console errors). */
    errors: [] as string[][],
    /** Uncaught page errors of every opened page, `[name] message`. */
    pageErrors: [] as string[],
    async start(): Promise<void> {
      // The messages of a 500's cause chain in the Worker's log: this stack's data is throw-away.
      app = await startApp({
        databaseUrl: inject("databaseUrl"),
        wsProxy: inject("wsProxy"),
        vars: { LOG_ERROR_MESSAGES: "1" },
      });
      browser = await launchBrowser();
    },
    /** A fresh desktop or phone context (`prepare` runs before its page opens) with one watched page. */
    async open(
      kind: DeviceKind,
      name: string,
      prepare?: (ctx: BrowserContext) => Promise<void>,
    ): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
      const ctx = await (kind === "desktop" ? desktopContext : phoneContext)(started(browser), rig.app.url);
      ctx.setDefaultTimeout(opts.timeout ?? 15_000);
      rig.contexts.push(ctx);
      await prepare?.(ctx);
      const page = await ctx.newPage();
      page.on("pageerror", (err) => rig.pageErrors.push(`[${name}] ${err.message}`));
      const { errors } = watchPage(page, name);
      rig.errors.push(errors);
      return { ctx, page, errors };
    },
    async stop(): Promise<void> {
      for (const c of rig.contexts) await c.close().catch(() => {});
      await browser?.close().catch(() => {});
      await app?.stop();
    },
  };
  return rig;
}

/** A file's rig, started before its tests and stopped after them, which then must have seen no uncaught page error. */
export function e2eSuite(opts: { timeout?: number } = {}): ReturnType<typeof e2eRig> {
  const rig = e2eRig(opts);
  beforeAll(() => rig.start());
  // A failed test shows the Worker's error lines (a 500's route, error class and
  // messages), which CI's output otherwise never has.
  afterEach((ctx) => {
    if (ctx.task.result?.state !== "fail" || !rig.started) return;
    const errors = rig.app
      .logs()
      .split("\n")
      .filter((l) => l.includes('"level":"error"'));
    if (errors.length) console.error(`Worker errors during ${ctx.task.name}:\n${errors.slice(-20).join("\n")}`);
  });
  afterAll(async () => {
    await rig.stop();
    expect(rig.pageErrors).toEqual([]);
  });
  return rig;
}

/** A new account's sign-up fields: `<prefix>_` and 10 random hex digits. */
export function newCreds(prefix: string) {
  const username = `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  return { email: `${username}@example.test`, username, password: "e2e-password-123" };
}

const SHOTS = path.join(ROOT, "test-results", "screenshots");
const DOC_SHOTS = path.join(ROOT, "docs", "screenshots");

/** test-results/screenshots/<name>.png always; docs/screenshots too with UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  // Let fonts, layout and transitions settle so the picture is the steady state.
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
  });
  const png = await page.screenshot({ fullPage: false, animations: "disabled", caret: "hide", timeout: 15_000 });
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(path.join(SHOTS, `${name}.png`), png);
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync(DOC_SHOTS, { recursive: true });
    writeFileSync(path.join(DOC_SHOTS, `${name}.png`), png);
  }
}

export interface UnlabeledControl {
  html: string;
  role: string;
}

/**
 * Every <input>, <select> and <textarea> on the page (hidden inputs aside)
 * that Chromium's own accessibility tree gives no name — i.e. what a screen
 * reader would announce as just "edit text". Uses the computed accessible
 * name (labels, aria-label, aria-labelledby, wrapping <label>), not a guess.
 */
export async function unlabeledControls(page: Page): Promise<UnlabeledControl[]> {
  // A re-render between the query and a node's read (a poll landing) removes
  // the node: scan again from a fresh document rather than skip what vanished.
  for (let attempt = 1; ; attempt++) {
    try {
      return await scanControls(page);
    } catch (e) {
      if (attempt >= 5 || !/Could not find node/.test(String(e))) throw e;
    }
  }
}

async function scanControls(page: Page): Promise<UnlabeledControl[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("DOM.enable");
    await cdp.send("Accessibility.enable");
    const { root } = await cdp.send("DOM.getDocument", { depth: -1 });
    const { nodeIds } = await cdp.send("DOM.querySelectorAll", {
      nodeId: root.nodeId,
      selector: "input:not([type=hidden]), select, textarea",
    });
    const out: UnlabeledControl[] = [];
    for (const nodeId of nodeIds) {
      const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
      const ax = nodes.find((n) => !n.ignored) ?? nodes[0];
      const name = String(ax?.name?.value ?? "").trim();
      if (!name) {
        const { outerHTML } = await cdp.send("DOM.getOuterHTML", { nodeId });
        out.push({ html: outerHTML.slice(0, 200), role: String(ax?.role?.value ?? "?") });
      }
    }
    return out;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** The sync status line's text ("Live", "Polling every 30 s", "Offline — 3 changes waiting"). */
export const statusText = (page: Page) => page.getByTestId("connection-status").innerText();

/** Creates an account through the sign-up form; resolves on the Inbox with the new session's token. */
export async function signUp(
  page: Page,
  creds: { email: string; username: string; password: string },
): Promise<string> {
  await page.goto("/");
  await page.getByRole("group", { name: "Account" }).getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(creds.email);
  await page.getByLabel("Username", { exact: true }).fill(creds.username);
  await page.getByLabel("Password", { exact: true }).fill(creds.password);
  await page.locator("form button[type=submit]").click();
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
  return sessionToken(page.context());
}

/** Signs in through the form; resolves on the Inbox. */
export async function signIn(page: Page, login: string, password: string) {
  await page.goto("/");
  await page.getByLabel("Email or username").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.locator("form button[type=submit]").click();
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
}

/** The session token a browser context holds (its cookie doubles as a bearer token). */
export async function sessionToken(ctx: BrowserContext): Promise<string> {
  const c = (await ctx.cookies()).find((x) => x.name === "session");
  if (!c) throw new Error("no session cookie");
  return c.value;
}

/** The API from Node, as the given session. */
export async function apiAs<T = any>(baseUrl: string, token: string, method: string, route: string, json?: unknown) {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      ...(json === undefined ? {} : { "content-type": "application/json" }),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/**
 * Goes to a screen through the navigation, like a user: the top bar on a
 * desktop, the bottom bar on a phone — or, for a screen that lives in the
 * phone's "More" sheet, that sheet.
 */
export async function navigate(page: Page, view: string): Promise<void> {
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.waitFor(); // the app may still be booting
  const link = nav.locator(`a[href="#/${view}"]`);
  if (await link.count()) await link.click();
  else {
    await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: /^More/ }).click();
    const sheet = page.getByRole("dialog", { name: "More" });
    await sheet.getByRole("link", { name: new RegExp(`^${view}$`, "i") }).click();
    await sheet.waitFor({ state: "hidden" });
  }
  // "#/assistant" may become "#/assistant/<id>": the screen reads the rest itself.
  await page.waitForFunction((v) => location.hash === `#/${v}` || location.hash.startsWith(`#/${v}/`), view);
}

/** Every screen the navigation offers on this device (the phone's "More" sheet included). */
export async function navScreens(page: Page): Promise<string[]> {
  const hrefs = (sel: string) =>
    page.locator(sel).evaluateAll((links) => links.map((a) => String(a.getAttribute("href")).slice(2)));
  const main = await page.getByRole("navigation", { name: "Main" }).locator('a[href^="#/"]').all();
  const visible = await Promise.all(main.map(async (a) => String(await a.getAttribute("href")).slice(2)));
  const more = (await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: /^More/ }).count())
    ? await hrefs('#more-sheet a[href^="#/"]')
    : [];
  return [...visible, ...more];
}

const AXE = path.join(ROOT, "node_modules", "axe-core", "axe.min.js");

/**
 * axe-core's serious and critical violations on the page as it is now
 * (WCAG 2.x A/AA rules plus best practices), one line each.
 */
export async function axeViolations(page: Page, where: string): Promise<string[]> {
  // Evaluated through DevTools, not a <script> tag: the app's CSP (web/public/_headers) refuses inline scripts.
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(readFileSync(AXE, "utf8"));
  const violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> =
    await page.evaluate(async () => {
      const axe = (globalThis as any).axe;
      const result = await axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n: any) => ({ target: n.target })),
      }));
    });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${where}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
