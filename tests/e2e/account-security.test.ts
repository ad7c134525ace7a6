/**
 * Issue #21 in the browser: Settings → "Password and sessions" (a password
 * change and "Sign out everywhere else" end the other devices at once), the
 * token scope picker, and approval cards that say what an approved tool call
 * will change.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eRig, navigate, newCreds, sessionToken, signIn, signUp } from "./browser.ts";

declare const location: { hash: string };

const rig = e2eRig();

/** Bounded, event-driven waits: a signed-out device notices on its next pull, its socket retry or its poll. */
const NOTICE = { timeout: 45_000 };

beforeAll(() => rig.start());

afterAll(() => rig.stop());

const securityCard = (p: Page) => p.getByRole("region", { name: "Password and sessions" });

describe("Settings: password and sessions", () => {
  it("a password change ends the other devices; the new password signs in, the old one doesn't", async () => {
    const creds = newCreds("sec");
    const a = await rig.open("desktop", "a");
    const b = await rig.open("desktop", "b");
    await signUp(a.page, creds);
    await signIn(b.page, creds.username, creds.password);
    const bToken = await sessionToken(b.ctx);

    await navigate(a.page, "settings");
    const card = securityCard(a.page);
    await card.getByLabel("Current password").fill("not the password");
    await card.getByLabel("New password", { exact: true }).fill("a whole new password");
    await card.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => card.getByRole("alert").innerText()).toMatch(/password is incorrect/i);
    expect((await apiAs(rig.app.url, bToken, "GET", "/api/auth/me")).status).toBe(200);

    await card.getByLabel("Current password").fill(creds.password);
    await card.getByLabel("New password", { exact: true }).fill("a whole new password");
    await card.getByRole("button", { name: "Change password" }).click();
    await card.getByRole("status").filter({ hasText: "Password changed. 1 other session signed out." }).waitFor();
    expect((await apiAs(rig.app.url, bToken, "GET", "/api/auth/me")).status).toBe(401);
    // B's open app finds out by itself and lands on sign-in.
    await b.page.getByLabel("Email or username").waitFor(NOTICE);
    expect(await axeViolations(a.page, "settings with the security card")).toEqual([]);

    const c = await rig.open("phone", "c");
    await signIn(c.page, creds.username, "a whole new password");
  });

  it("“Sign out everywhere else” ends every other device and token; this one stays signed in", async () => {
    const creds = newCreds("sec");
    const a = await rig.open("desktop", "a2");
    const phone = await rig.open("phone", "phone2");
    await signUp(a.page, creds);
    await signIn(phone.page, creds.email, creds.password);
    const aToken = await sessionToken(a.ctx);
    const pat = await apiAs(rig.app.url, aToken, "POST", "/api/auth/tokens", { name: "cli", scope: "full" });
    expect(pat.status).toBe(201);

    await navigate(phone.page, "settings");
    phone.page.once("dialog", (d) => void d.accept());
    await securityCard(phone.page).getByRole("button", { name: "Sign out everywhere else" }).click();
    await securityCard(phone.page).getByRole("status").filter({ hasText: "2 other sessions signed out." }).waitFor();
    expect((await apiAs(rig.app.url, pat.body.token, "GET", "/api/auth/me")).status).toBe(401);
    await a.page.getByLabel("Email or username").waitFor(NOTICE);
    const phoneToken = await sessionToken(phone.ctx);
    expect((await apiAs(rig.app.url, phoneToken, "GET", "/api/auth/me")).status).toBe(200);
  });

  it("a new access token gets the scope picked (MCP only by default)", async () => {
    const creds = newCreds("sec");
    const a = await rig.open("desktop", "a3");
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
    const list = (await apiAs(rig.app.url, await sessionToken(a.ctx), "GET", "/api/auth/sessions")).body.items as any[];
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
    const creds = newCreds("sec");
    const a = await rig.open("desktop", "assistant-desktop");
    const token = await signUp(a.page, creds);
    expect((await apiAs(rig.app.url, token, "POST", "/api/todos", { title: "file the taxes" })).status).toBe(201);
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

    const phone = await rig.open("phone", "assistant-phone");
    await signIn(phone.page, creds.username, creds.password);
    await navigate(phone.page, "assistant");
    await card(phone.page).locator(".tool-preview", { hasText: "Delete the todo “file the taxes”" }).waitFor();
    expect(await axeViolations(phone.page, "assistant with an approval card (phone)")).toEqual([]);
  });
});
