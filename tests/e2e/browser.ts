/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser),
 * plus the two device profiles the e2e tests use and small page helpers.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "../../scripts/wrangler-dev.ts";

// Browser globals, for the callbacks that run inside pages (this project compiles without the DOM lib).
declare const document: any;
declare const requestAnimationFrame: (cb: () => void) => number;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
  });
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

/** Creates an account through the sign-up form; resolves on the Inbox. */
export async function signUp(page: Page, creds: { email: string; username: string; password: string }) {
  await page.goto("/");
  await page.getByRole("group", { name: "Account" }).getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Email", { exact: true }).fill(creds.email);
  await page.getByLabel("Username", { exact: true }).fill(creds.username);
  await page.getByLabel("Password", { exact: true }).fill(creds.password);
  await page.locator("form button[type=submit]").click();
  await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor();
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
