/**
 * Trash in Chromium (issue 24): an inbox item deleted on one device is
 * restored from the Trash screen of another, and comes back on the first
 * through the change log. The Trash screen is axe-clean on a desktop and a
 * phone (with an entry in it).
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
} from "./browser.ts";

let app: RunningApp;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function open(kind: "desktop" | "phone"): Promise<Page> {
  const ctx = await (kind === "desktop" ? desktopContext : phoneContext)(browser, app.url);
  ctx.setDefaultTimeout(15_000);
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on("pageerror", (err) => pageErrors.push(`[${kind}] ${err.message}`));
  return page;
}

beforeAll(async () => {
  app = await startApp({ databaseUrl: inject("databaseUrl"), wsProxy: inject("wsProxy") });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await app?.stop();
  expect(pageErrors).toEqual([]);
});

describe("trash", () => {
  it("deleted on one device, restored from the trash on another, back on both", async () => {
    const username = `tr_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const creds = { email: `${username}@example.test`, username, password: "e2e-password-123" };
    const desk = await open("desktop");
    await signUp(desk, creds);
    const token = await sessionToken(contexts[0]!);
    const title = `Trash me ${randomUUID().slice(0, 6)}`;
    expect((await apiAs(app.url, token, "POST", "/api/user/inbox", { title })).status).toBe(201);
    const row = desk.getByRole("listitem").filter({ hasText: title });
    await row.waitFor();
    await row.getByRole("button", { name: `Delete “${title}”` }).click();
    // Deletes are confirmed (issue 25): answer the confirm step.
    await desk.getByRole("button", { name: "Yes, delete" }).click();
    await row.waitFor({ state: "detached" });

    const phone = await open("phone");
    await signIn(phone, creds.username, creds.password);
    await navigate(phone, "trash");
    await phone.getByRole("heading", { level: 1, name: "Trash" }).waitFor();
    const entry = phone.getByRole("listitem").filter({ hasText: title });
    await entry.waitFor();
    expect(await axeViolations(phone, "trash (phone)")).toEqual([]);
    await navigate(desk, "trash");
    await desk.getByRole("listitem").filter({ hasText: title }).waitFor();
    expect(await axeViolations(desk, "trash (desktop)")).toEqual([]);

    await entry.getByRole("button", { name: `Restore “${title}”` }).focus();
    await phone.keyboard.press("Enter");
    await phone
      .getByRole("status")
      .filter({ hasText: `Restored “${title}”.` })
      .waitFor();
    await entry.waitFor({ state: "detached" });

    // Both devices get the restored record through the change log.
    await navigate(desk, "inbox");
    await desk.getByRole("listitem").filter({ hasText: title }).waitFor();
    await navigate(phone, "inbox");
    await phone.getByRole("listitem").filter({ hasText: title }).waitFor();
  });
});
