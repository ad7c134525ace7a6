/**
 * Issue #21 in the browser: Settings → "Password and sessions" (a password
 * change and "Sign out everywhere else" end the other devices at once), the
 * token scope picker, and approval cards that say what an approved tool call
 * will change.
 */
import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "./app.ts";
import {
  apiAs,
  axeViolations,
  desktopContext,
  launchBrowser,
  navigate,
  phoneContext,
  sessionToken,
  signIn,
  signUp,
  watchPage,
} from "./browser.ts";

declare const location: { hash: string };

let app: RunningApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** Bounded, event-driven waits: a signed-out device notices on its next pull, its socket retry or its poll. */
const NOTICE = { timeout: 45_000 };

beforeAll(async () => {
  app = await startApp({ databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy") });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await app?.stop();
});

async function page(kind: "desktop" | "phone", name: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await (kind === "desktop" ? desktopContext : phoneContext)(browser, app.url);
  ctx.setDefaultTimeout(15_000);
  contexts.push(ctx);
  const p = await ctx.newPage();
  watchPage(p, name);
  return { ctx, page: p };
}

const newCreds = () => {
  const username = `sec_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  return { email: `${username}@example.test`, username, password: "e2e-password-123" };
};

const securityCard = (p: Page) => p.getByRole("region", { name: "Password and sessions" });

describe("Settings: password and sessions", () => {
  it("a password change ends the other devices; the new password signs in, the old one doesn't", async () => {
    const creds = newCreds();
    const a = await page("desktop", "a");
    const b = await page("desktop", "b");
    await signUp(a.page, creds);
    await signIn(b.page, creds.username, creds.password);
    const bToken = await sessionToken(b.ctx);

    await navigate(a.page, "settings");
    const card = securityCard(a.page);
    await card.getByLabel("Current password").fill("not the password");
    await card.getByLabel("New password", { exact: true }).fill("a whole new password");
    await card.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => card.getByRole("alert").innerText()).toMatch(/password is incorrect/i);
    expect((await apiAs(app.url, bToken, "GET", "/api/auth/me")).status).toBe(200);

    await card.getByLabel("Current password").fill(creds.password);
    await card.getByLabel("New password", { exact: true }).fill("a whole new password");
    await card.getByRole("button", { name: "Change password" }).click();
    await card.getByRole("status").filter({ hasText: "Password changed. 1 other session signed out." }).waitFor();
    expect((await apiAs(app.url, bToken, "GET", "/api/auth/me")).status).toBe(401);
    // B's open app finds out by itself and lands on sign-in.
    await b.page.getByLabel("Email or username").waitFor(NOTICE);
    expect(await axeViolations(a.page, "settings with the security card")).toEqual([]);

    const c = await page("phone", "c");
    await signIn(c.page, creds.username, "a whole new password");
  });

  it("“Sign out everywhere else” ends every other device and token; this one stays signed in", async () => {
    const creds = newCreds();
    const a = await page("desktop", "a2");
    const phone = await page("phone", "phone2");
    await signUp(a.page, creds);
    await signIn(phone.page, creds.email, creds.password);
    const aToken = await sessionToken(a.ctx);
    const pat = await apiAs(app.url, aToken, "POST", "/api/auth/tokens", { name: "cli", scope: "full" });
    expect(pat.status).toBe(201);

    await navigate(phone.page, "settings");
    phone.page.once("dialog", (d) => void d.accept());
    await securityCard(phone.page).getByRole("button", { name: "Sign out everywhere else" }).click();
    await securityCard(phone.page).getByRole("status").filter({ hasText: "2 other sessions signed out." }).waitFor();
    expect((await apiAs(app.url, pat.body.token, "GET", "/api/auth/me")).status).toBe(401);
    await a.page.getByLabel("Email or username").waitFor(NOTICE);
    const phoneToken = await sessionToken(phone.ctx);
    expect((await apiAs(app.url, phoneToken, "GET", "/api/auth/me")).status).toBe(200);
  });

  it("a new access token gets the scope picked (MCP only by default)", async () => {
    const creds = newCreds();
    const a = await page("desktop", "a3");
    await signUp(a.page, creds);
    await navigate(a.page, "settings");
    const tokens = a.page.getByRole("region", { name: "Access tokens" });
    await tokens.getByLabel("Token name").fill("Claude Desktop");
    await tokens.getByRole("button", { name: "Create token" }).click();
    await tokens.getByTestId("new-token").waitFor();
    await tokens.getByText(/MCP only · created/).waitFor();
    await tokens.getByLabel("Token name").fill("script");
    await tokens.getByLabel("Access", { exact: true }).selectOption("full");
    await tokens.getByRole("button", { name: "Create token" }).click();
    await tokens.getByText(/Full API · created/).waitFor();
    const list = (await apiAs(app.url, await sessionToken(a.ctx), "GET", "/api/auth/sessions")).body.items as any[];
    expect(list.filter((s) => s.kind === "token").map((s) => [s.name, s.scope])).toEqual(
      expect.arrayContaining([
        ["Claude Desktop", "mcp"],
        ["script", "full"],
      ]),
    );
  });
});

describe("Assistant: approval cards say what will change", () => {
  it("a pending delete names the todo it will delete (from the server), on desktop and phone", async () => {
    const creds = newCreds();
    const a = await page("desktop", "assistant-desktop");
    await signUp(a.page, creds);
    const token = await sessionToken(a.ctx);
    expect((await apiAs(app.url, token, "POST", "/api/todos", { title: "file the taxes" })).status).toBe(201);
    await navigate(a.page, "assistant");
    await a.page.getByRole("button", { name: "New conversation" }).click();
    await a.page.waitForFunction(() => /^#\/assistant\/[0-9a-f-]{36}$/.test(location.hash));
    const composer = a.page.getByLabel("Message the assistant");
    await composer.fill("delete todo file the taxes");
    await composer.press("Enter");
    const card = (p: Page) => p.getByRole("listitem", { name: /Delete a todo/ });
    await card(a.page).locator(".tool-preview", { hasText: "Delete the todo “file the taxes”" }).waitFor();
    await card(a.page).getByRole("button", { name: "Approve Delete the todo “file the taxes”" }).waitFor();
    expect(await axeViolations(a.page, "assistant with an approval card")).toEqual([]);

    const phone = await page("phone", "assistant-phone");
    await signIn(phone.page, creds.username, creds.password);
    await navigate(phone.page, "assistant");
    await card(phone.page).locator(".tool-preview", { hasText: "Delete the todo “file the taxes”" }).waitFor();
    expect(await axeViolations(phone.page, "assistant with an approval card (phone)")).toEqual([]);
  });
});
