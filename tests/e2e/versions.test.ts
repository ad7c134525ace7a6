/**
 * Versions and the assistant's Undo in Chromium (issue 24): a reference's
 * Versions dialog lists its earlier versions with what changed, restores one,
 * and when the record changed elsewhere meanwhile shows both versions and lets
 * the user choose; an inbox item's Versions on a phone; an executed assistant
 * tool call is undone from its card, which then says so and can't be undone
 * again. axe-clean with each open, on a desktop and a phone.
 */
import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eSuite, navigate, newCreds, signIn, signUp } from "./browser.ts";

declare const location: { hash: string };
declare const document: { activeElement: { textContent: string | null } | null };

const rig = e2eSuite({ timeout: 20_000 });

const row = (page: Page, title: string) => page.getByRole("main").getByRole("listitem").filter({ hasText: title });

describe("versions", () => {
  it("a reference: what changed, restore, and the choice when it changed elsewhere meanwhile", async () => {
    const creds = newCreds("ve");
    const { page } = await rig.open("desktop", "desktop");
    const token = await signUp(page, creds);
    const id = randomUUID();
    const ref = (json?: unknown, method = "PUT") => apiAs(rig.app.url, token, method, `/api/references/${id}`, json);
    expect(
      (await apiAs(rig.app.url, token, "POST", "/api/references", { id, title: "Draft one", content: "first" })).status,
    ).toBe(201);
    expect((await ref({ title: "Draft two" })).status).toBe(200);
    expect((await ref({ content: "second" })).status).toBe(200);

    await navigate(page, "references");
    await row(page, "Draft two").getByRole("button", { name: "Versions of “Draft two”" }).click();
    const dialog = page.getByRole("dialog", { name: "Versions of “Draft two”" });
    await dialog.getByRole("button", { name: "Restore version 1" }).waitFor();
    const changed = (v: number) => dialog.getByRole("list", { name: `What changed after version ${v}` });
    expect(await changed(1).innerText()).toContain("title: “Draft one” → “Draft two”");
    expect(await changed(2).innerText()).toContain("content: “first” → “second”");
    expect(await axeViolations(page, "versions dialog (desktop)")).toEqual([]);

    await dialog.getByRole("button", { name: "Restore version 1" }).click();
    await dialog.getByRole("status").filter({ hasText: "Restored version 1." }).waitFor();
    await expect.poll(async () => (await ref(undefined, "GET")).body?.version, { timeout: 15_000 }).toBe(4);
    expect((await ref(undefined, "GET")).body).toMatchObject({ title: "Draft one", content: "first" });
    await dialog.getByRole("button", { name: "Restore version 3" }).waitFor();

    // Another device changes it while the dialog is open: restoring version 2 now is a choice.
    expect((await ref({ title: "Elsewhere" })).status).toBe(200);
    await dialog.getByRole("button", { name: "Restore version 2" }).click();
    const choice = dialog.getByRole("region", { name: "It changed elsewhere meanwhile" });
    await choice.waitFor();
    expect(await choice.innerText()).toContain("title: “Elsewhere”");
    expect(await choice.innerText()).toContain("title: “Draft two”");
    expect(await axeViolations(page, "versions conflict (desktop)")).toEqual([]);
    // Keeping what is there writes nothing.
    await choice.getByRole("button", { name: "Keep what is there now" }).click();
    await choice.waitFor({ state: "detached" });
    expect((await ref(undefined, "GET")).body).toMatchObject({ title: "Elsewhere", version: 5 });
    // Asked again, and this time restored over it.
    await dialog.getByRole("button", { name: "Restore version 2" }).click();
    await choice.getByRole("button", { name: "Restore version 2 anyway" }).click();
    await dialog.getByRole("status").filter({ hasText: "Restored version 2." }).waitFor();
    expect((await ref(undefined, "GET")).body).toMatchObject({ title: "Draft two", content: "first", version: 6 });

    // Esc closes it and focus goes back to the button that opened it.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await row(page, "Draft two").waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Versions of “Draft two”");
  });

  it("an inbox item's versions on a phone, by keyboard", async () => {
    const creds = newCreds("vp");
    const { page } = await rig.open("phone", "phone");
    const token = await signUp(page, creds);
    const title = `Phone note ${randomUUID().slice(0, 6)}`;
    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill(title);
    await omnibar.press("Enter");
    await row(page, title)
      .getByRole("button", { name: `Edit “${title}”` })
      .click();
    await page.getByLabel("Description").fill("more words");
    await page.getByRole("button", { name: "Save" }).click();
    const version = async () =>
      (
        (await apiAs(rig.app.url, token, "GET", "/api/user/inbox")).body.items as Array<{
          title: string;
          version: number;
        }>
      ).find((i) => i.title === title)?.version;
    await expect.poll(version, { timeout: 15_000 }).toBe(2);
    const open = row(page, title).getByRole("button", { name: `Versions of “${title}”` });
    await open.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Versions of “${title}”` });
    await dialog.getByRole("button", { name: "Restore version 1" }).waitFor();
    expect(await dialog.getByRole("list", { name: "What changed after version 1" }).innerText()).toContain(
      "description: — → “more words”",
    );
    expect(await axeViolations(page, "versions dialog (phone)")).toEqual([]);
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });
  });
});

describe("assistant tool-call undo", () => {
  it("undoes an executed call from its card: the todo goes, the card says so, on both devices", async () => {
    const creds = newCreds("va");
    const { page: desk } = await rig.open("desktop", "assistant desk");
    const token = await signUp(desk, creds);
    await navigate(desk, "assistant");
    await desk.getByRole("button", { name: "New conversation" }).click();
    await desk.waitForFunction(() => /^#\/assistant\/[0-9a-f-]{36}$/.test(location.hash));
    const title = `bread ${randomUUID().slice(0, 6)}`;
    const composer = desk.getByLabel("Message the assistant");
    await composer.fill(`add todo ${title}`);
    await composer.press("Enter");
    const card = (page: Page) => page.getByRole("listitem", { name: /^Create a todo/ });
    await card(desk)
      .getByRole("button", { name: /^Approve/ })
      .click();
    await expect.poll(() => card(desk).getAttribute("data-status"), { timeout: 20_000 }).toBe("executed");
    const todos = desk.getByRole("region", { name: "Todos" });
    await todos.getByLabel(title).waitFor();
    const todoTitles = async () =>
      ((await apiAs(rig.app.url, token, "GET", "/api/todos")).body.items as Array<{ title: string }>).map(
        (t) => t.title,
      );
    expect(await todoTitles()).toContain(title);

    await card(desk).getByRole("button", { name: "Undo Create a todo" }).click();
    await card(desk).getByText("Undone: the todo it created is deleted.").waitFor();
    await card(desk).getByRole("button", { name: "Undone Create a todo" }).waitFor();
    expect(await card(desk).getByRole("button", { name: "Undone Create a todo" }).isDisabled()).toBe(true);
    await todos.getByLabel(title).waitFor({ state: "detached" });
    expect(await todoTitles()).not.toContain(title);
    expect(await axeViolations(desk, "assistant undo (desktop)")).toEqual([]);

    // Another device shows the call as undone (from the server's undone_at), with nothing left to undo.
    const { page: phone } = await rig.open("phone", "assistant phone");
    await signIn(phone, creds.username, creds.password);
    await navigate(phone, "assistant");
    await card(phone).getByRole("button", { name: "Undone Create a todo" }).waitFor();
    expect(await card(phone).getByRole("button", { name: "Undone Create a todo" }).isDisabled()).toBe(true);
    expect(await card(phone).getAttribute("aria-label")).toBe("Create a todo — Done, undone");
    // The text comes from the call's state too, so a re-created card (here: another device's) keeps it.
    await card(phone).getByText("Undone: the todo it created is deleted.").waitFor();
    expect(await axeViolations(phone, "assistant undo (phone)")).toEqual([]);
  });
});
