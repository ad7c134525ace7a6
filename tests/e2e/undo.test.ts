/**
 * Undo in Chromium (issue 24): the notice after a change or delete offers
 * Undo, Ctrl+Z undoes this device's last change (not inside a text field),
 * and an undo made offline is a queued write that reaches the server and a
 * second device once back online — converging with an edit another device
 * made meanwhile (that edit stands: the undo is refused with a notice).
 * axe-clean with the notice up, on a desktop and a phone.
 */
import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eSuite, navigate, newCreds, signIn, signUp, statusText } from "./browser.ts";

const rig = e2eSuite();

const row = (page: Page, title: string) => page.getByRole("main").getByRole("listitem").filter({ hasText: title });
const notice = (page: Page, text: string) =>
  page.getByRole("region", { name: "Notifications" }).getByRole("status").filter({ hasText: text });

async function deleteFromInbox(page: Page, title: string) {
  await row(page, title)
    .getByRole("button", { name: `Delete “${title}”` })
    .click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await row(page, title).waitFor({ state: "detached" });
}

async function capture(token: string, title: string): Promise<string> {
  const id = randomUUID();
  expect((await apiAs(rig.app.url, token, "POST", "/api/user/inbox", { id, title })).status).toBe(201);
  return id;
}

const onServer = (token: string, id: string) => apiAs(rig.app.url, token, "GET", `/api/user/inbox/${id}`);

describe("undo", () => {
  it("undoes a delete from the notice and by Ctrl+Z, but not while typing", async () => {
    const creds = newCreds("un");
    const { page } = await rig.open("desktop", "desktop");
    const token = await signUp(page, creds);
    const title = `Undo me ${randomUUID().slice(0, 6)}`;
    const id = await capture(token, title);
    await row(page, title).waitFor();

    await deleteFromInbox(page, title);
    await notice(page, `Deleted “${title}”.`).waitFor();
    expect(await axeViolations(page, "undo notice (desktop)")).toEqual([]);
    await page.getByRole("button", { name: `Undo — Delete “${title}”` }).click();
    await notice(page, `Undone: Delete “${title}”.`).waitFor();
    await row(page, title).waitFor();
    await expect.poll(async () => (await onServer(token, id)).body?.version, { timeout: 15_000 }).toBe(3);

    // Ctrl+Z from the page (focus is not in a text field).
    await deleteFromInbox(page, title);
    await expect.poll(async () => (await onServer(token, id)).status, { timeout: 15_000 }).toBe(404);
    await page.keyboard.press("Control+z");
    await row(page, title).waitFor();
    await expect.poll(async () => (await onServer(token, id)).body?.version, { timeout: 15_000 }).toBe(5);

    // Inside a text field Ctrl+Z is the browser's: the record stays deleted until focus leaves it.
    await deleteFromInbox(page, title);
    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill("typing");
    await omnibar.press("Control+z");
    await expect.poll(async () => (await onServer(token, id)).status, { timeout: 15_000 }).toBe(404);
    expect(await row(page, title).count()).toBe(0);
    await omnibar.fill("");
    await page.getByRole("heading", { level: 1, name: "Inbox" }).focus();
    await page.keyboard.press("Control+z");
    await row(page, title).waitFor();
    await expect.poll(async () => (await onServer(token, id)).body?.version, { timeout: 15_000 }).toBe(7);

    // Nothing left to undo on this device: said, and nothing changes.
    await page.keyboard.press("Control+z");
    await notice(page, "Nothing to undo on this device.").waitFor();
    expect((await onServer(token, id)).body?.version).toBe(7);
  });

  it("todos on the assistant screen: Ctrl+Z undoes a completion, then earlier changes of other records only", async () => {
    const creds = newCreds("ut");
    const { page } = await rig.open("desktop", "todos");
    const token = await signUp(page, creds);
    await navigate(page, "assistant");
    const todos = page.getByRole("region", { name: "Todos" });
    const add = async (title: string) => {
      await todos.getByLabel("New todo").fill(title);
      await todos.getByLabel("New todo").press("Enter");
      await notice(page, `Added todo “${title}”.`).waitFor();
    };
    const server = async (title: string) =>
      ((await apiAs(rig.app.url, token, "GET", "/api/todos")).body.items as Array<{ title: string; done: boolean }>)
        .filter((t) => t.title === title)
        .map((t) => t.done);
    const first = `Todo ${randomUUID().slice(0, 6)}`;
    const second = `Todo ${randomUUID().slice(0, 6)}`;
    await add(first);
    await add(second);
    const box = todos.getByLabel(second, { exact: true });
    await box.check();
    await notice(page, `Completed “${second}”.`).waitFor();
    await expect.poll(() => server(second), { timeout: 15_000 }).toEqual([true]);

    // Focus is on the checkbox, not in a text field: Ctrl+Z is the app's.
    await page.keyboard.press("Control+z");
    await expect.poll(() => box.isChecked()).toBe(false);
    await expect.poll(() => server(second), { timeout: 15_000 }).toEqual([false]);
    // The creation of that todo: its record moved on (the undo is a version too), so it is said, not sent.
    await page.keyboard.press("Control+z");
    await notice(page, `Add todo “${second}” can't be undone any more: it was changed since.`).waitFor();
    // The one before, of another todo, is undone: the creation goes.
    await page.keyboard.press("Control+z");
    await todos.getByLabel(first, { exact: true }).waitFor({ state: "detached" });
    await expect.poll(() => server(first), { timeout: 15_000 }).toEqual([]);
    expect(await server(second)).toEqual([false]);
  });

  it("on a phone: the notice's Undo by keyboard, axe-clean", async () => {
    const creds = newCreds("up");
    const { page } = await rig.open("phone", "phone");
    const token = await signUp(page, creds);
    const title = `Phone undo ${randomUUID().slice(0, 6)}`;
    // Captured here (a phone polls: a record made elsewhere would only come at the next poll).
    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill(title);
    await omnibar.press("Enter");
    await row(page, title).waitFor();
    await notice(page, `Captured “${title}”.`).waitFor();
    let id = "";
    await expect
      .poll(
        async () => {
          const list = await apiAs(rig.app.url, token, "GET", "/api/user/inbox");
          id = list.body.items.find((i: { title: string }) => i.title === title)?.id ?? "";
          return id;
        },
        { timeout: 15_000 },
      )
      .not.toBe("");
    await deleteFromInbox(page, title);
    await notice(page, `Deleted “${title}”.`).waitFor();
    expect(await axeViolations(page, "undo notice (phone)")).toEqual([]);
    await page.getByRole("button", { name: `Undo — Delete “${title}”` }).focus();
    await page.keyboard.press("Enter");
    await row(page, title).waitFor();
    await expect.poll(async () => (await onServer(token, id)).body?.version, { timeout: 15_000 }).toBe(3);
  });

  it("offline: the undo waits in the outbox, then reaches the server and another device; an edit made elsewhere meanwhile stands", async () => {
    const creds = newCreds("uo");
    const { ctx, page: desk } = await rig.open("desktop", "offline desk");
    const token = await signUp(desk, creds);
    const gone = `Back again ${randomUUID().slice(0, 6)}`;
    const edited = `Edited twice ${randomUUID().slice(0, 6)}`;
    const queued = `Queued both ${randomUUID().slice(0, 6)}`;
    const goneId = await capture(token, gone);
    const editedId = await capture(token, edited);
    const queuedId = await capture(token, queued);
    await row(desk, queued).waitFor();

    // The second device: a desktop too, so it follows over its socket (a phone polls).
    const { page: phone } = await rig.open("desktop", "second device");
    await signIn(phone, creds.username, creds.password);
    await row(phone, queued).waitFor();

    // Online: a delete and an edit reach the server (and the phone).
    await deleteFromInbox(desk, gone);
    await row(desk, edited)
      .getByRole("button", { name: `Edit “${edited}”` })
      .click();
    await desk.getByLabel("Title", { exact: true }).fill(`${edited} by desk`);
    await desk.getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await onServer(token, editedId)).body?.version, { timeout: 15_000 }).toBe(2);
    await row(phone, `${edited} by desk`).waitFor();
    await row(phone, gone).waitFor({ state: "detached" });

    await ctx.setOffline(true);
    await expect.poll(() => statusText(desk), { timeout: 15_000 }).toMatch(/^Offline/);
    // Offline: undo the edit, then the delete (Ctrl+Z twice: last first), then delete and undo a third.
    await desk.getByRole("heading", { level: 1, name: "Inbox" }).focus();
    await desk.keyboard.press("Control+z");
    await row(desk, edited).filter({ hasNotText: "by desk" }).waitFor();
    await desk.keyboard.press("Control+z");
    await row(desk, gone).waitFor();
    await deleteFromInbox(desk, queued);
    await desk.getByRole("button", { name: `Undo — Delete “${queued}”` }).click();
    await row(desk, queued).waitFor();
    await expect.poll(() => statusText(desk)).toBe("Offline — 4 changes waiting");

    // Meanwhile the phone edits the same record again: its edit must stand.
    const fromPhone = `${edited} by phone`;
    await row(phone, `${edited} by desk`)
      .getByRole("button", { name: `Edit “${edited} by desk”` })
      .click();
    await phone.getByLabel("Title", { exact: true }).fill(fromPhone);
    await phone.getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await onServer(token, editedId)).body?.title, { timeout: 15_000 }).toBe(fromPhone);

    await ctx.setOffline(false);
    await expect.poll(() => statusText(desk), { timeout: 30_000 }).toBe("Live");
    // The deleted record is back, on the server and on the phone.
    await expect.poll(async () => (await onServer(token, goneId)).body?.version, { timeout: 15_000 }).toBe(3);
    await row(phone, gone).waitFor();
    // Deleted and undone while offline: both sent, in order.
    await expect.poll(async () => (await onServer(token, queuedId)).body?.version, { timeout: 15_000 }).toBe(3);
    // The undo of the desk's edit found the phone's edit in its place: refused, the phone's stands everywhere.
    await desk
      .getByRole("region", { name: "Notifications" })
      .getByRole("listitem")
      .filter({ hasText: `Undo: Edit “${edited}” conflicted with a change made elsewhere` })
      .waitFor();
    await row(desk, fromPhone).waitFor();
    expect((await onServer(token, editedId)).body?.title).toBe(fromPhone);
    await navigate(phone, "inbox");
    await row(phone, fromPhone).waitFor();
    expect(await row(phone, queued).count()).toBe(1);
  });
});
