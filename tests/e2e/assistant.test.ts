/**
 * The assistant end to end: the real app (wrangler dev + embedded Postgres,
 * the default `rules` model) in Chromium. A message sent on the
 * desktop waits for approval; the phone (polling) approves it; the desktop
 * (socket) shows the executed call, the reply and the todo. Then Settings →
 * Access tokens: create (shown once), use as a bearer, revoke.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  e2eRig,
  navigate,
  newCreds,
  screenshot,
  sessionToken,
  signIn,
  signUp,
  statusText,
  unlabeledControls,
} from "./browser.ts";

declare const location: { hash: string };

const rig = e2eRig({ timeout: 20_000 });
const { errors } = rig;

const creds = newCreds("e2e_as");

async function go(page: Page, view: string, heading: string) {
  await navigate(page, view); // on a phone, Assistant sits in the "More" sheet
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

beforeAll(() => rig.start());

afterAll(() => rig.stop());

describe("assistant on a desktop and a phone of one account", () => {
  let desktop: Page;
  let phone: Page;

  it("send on the desktop, approve on the phone, the desktop shows the executed call and the todo", async () => {
    desktop = (await rig.open("desktop", "desktop")).page;
    phone = (await rig.open("phone", "phone")).page;
    await signUp(desktop, creds);
    await signIn(phone, creds.username, creds.password);
    await expect.poll(() => statusText(desktop)).toBe("Live");

    await go(desktop, "assistant", "Assistant");
    await desktop.getByRole("button", { name: "New conversation" }).click();
    await desktop.waitForFunction(() => /^#\/assistant\/[0-9a-f-]{36}$/.test(location.hash));
    const composer = desktop.getByLabel("Message the assistant");
    await composer.fill("add todo buy milk");
    await composer.press("Enter");

    const card = (page: Page) => page.getByRole("listitem", { name: /Create a todo/ });
    await expect.poll(() => card(desktop).getAttribute("data-status")).toBe("pending_approval");
    await expect.poll(() => desktop.getByRole("status").filter({ hasText: "Needs your approval" }).count()).toBe(1);
    expect(await card(desktop).innerText()).toContain("title: buy milk");

    // The phone opens the assistant on the most recent conversation and sees the pending call.
    await go(phone, "assistant", "Assistant");
    await card(phone).getByRole("button", { name: "Approve" }).waitFor();
    expect(await unlabeledControls(phone)).toEqual([]);
    await screenshot(phone, "assistant-phone");
    await card(phone).getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => card(phone).getAttribute("data-status")).toBe("executed");

    // The desktop follows through its socket: the executed call, the reply, the todo.
    await expect.poll(() => card(desktop).getAttribute("data-status")).toBe("executed");
    await desktop.getByText('Added todo "buy milk".').waitFor();
    const todos = desktop.getByRole("region", { name: "Todos" });
    await todos.getByLabel("buy milk").waitFor();
    expect(await desktop.getByRole("button", { name: /Approve/ }).count()).toBe(0);
    expect(await unlabeledControls(desktop)).toEqual([]);
    await screenshot(desktop, "assistant-desktop");

    // Completing it in the list is an ordinary synced change the server sees.
    await todos.getByLabel("buy milk").check();
    const token = await sessionToken(desktop.context());
    await expect
      .poll(async () =>
        (await apiAs(rig.app.url, token, "GET", "/api/todos")).body.items.map((t: any) => [t.title, t.done]),
      )
      .toEqual([["buy milk", true]]);
  });

  it("Settings → Access tokens: created once with a copy button, usable as a bearer token, revoked at once", async () => {
    await go(desktop, "settings", "Settings");
    const section = desktop.getByRole("region", { name: "Access tokens" });
    await section.getByLabel("Token name").fill("MCP laptop");
    // "Full API": this test uses the token on the REST API too (the default, "MCP only", works at /mcp alone).
    await section.getByLabel("Access", { exact: true }).selectOption("full");
    await section.getByRole("button", { name: "Create token" }).click();
    const secret = (await section.getByTestId("new-token").innerText()).trim();
    expect(secret.length).toBeGreaterThan(30);
    await section.getByRole("button", { name: "Copy token" }).waitFor();
    await section
      .getByRole("list", { name: "Access tokens" })
      .locator(".item-title", { hasText: "MCP laptop" })
      .waitFor();
    expect((await apiAs(rig.app.url, secret, "GET", "/api/auth/me")).body.user.username).toBe(creds.username);

    await section.getByRole("button", { name: "Done" }).click();
    expect(await section.getByTestId("new-token").count()).toBe(0);
    await section.getByRole("button", { name: "Revoke MCP laptop" }).click();
    await expect.poll(() => section.getByText("No tokens.").count()).toBe(1);
    expect((await apiAs(rig.app.url, secret, "GET", "/api/auth/me")).status).toBe(401);
    // (Console 401s from the signed-out first load are expected; uncaught errors are not.)
    expect(errors.flat().filter((e) => e.includes("pageerror"))).toEqual([]);
  });
});
