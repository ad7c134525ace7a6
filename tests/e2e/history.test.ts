/**
 * Trash in Chromium (issue 24): an inbox item deleted on one device is
 * restored from the Trash screen of another, and comes back on the first
 * through the change log. The Trash screen is axe-clean on a desktop and a
 * phone (with an entry in it).
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eSuite, navigate, newCreds, signIn, signUp } from "./browser.ts";

const rig = e2eSuite();

describe("trash", () => {
  it("deleted on one device, restored from the trash on another, back on both", async () => {
    const creds = newCreds("tr");
    const { page: desk } = await rig.open("desktop", "desktop");
    const token = await signUp(desk, creds);
    const title = `Trash me ${randomUUID().slice(0, 6)}`;
    expect((await apiAs(rig.app.url, token, "POST", "/api/user/inbox", { title })).status).toBe(201);
    const row = desk.getByRole("listitem").filter({ hasText: title });
    await row.waitFor();
    await row.getByRole("button", { name: `Delete “${title}”` }).click();
    // Deletes are confirmed (issue 25): answer the confirm step.
    await desk.getByRole("button", { name: "Yes, delete" }).click();
    await row.waitFor({ state: "detached" });

    const { page: phone } = await rig.open("phone", "phone");
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

  it("pages through a trash longer than one page with Load more", async () => {
    const creds = newCreds("tp");
    const { page } = await rig.open("desktop", "trash pages");
    const token = await signUp(page, creds);
    // 103 deletions: a page is 100, so three only show after "Load more".
    const ids = Array.from({ length: 103 }, () => randomUUID());
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(
        ids.slice(i, i + 10).map(async (id, j) => {
          const title = `Paged ${String(i + j).padStart(3, "0")}`;
          expect((await apiAs(rig.app.url, token, "POST", "/api/user/inbox", { id, title })).status).toBe(201);
          expect((await apiAs(rig.app.url, token, "DELETE", `/api/user/inbox/${id}`)).status).toBe(204);
        }),
      );
    }
    await navigate(page, "trash");
    const rows = page.getByRole("main").getByRole("listitem");
    await rows.nth(99).waitFor();
    expect(await rows.count()).toBe(100);
    const more = page.getByRole("button", { name: "Load more" });
    await more.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "3 more shown." }).waitFor();
    expect(await rows.count()).toBe(103);
    const titles = await rows.getByRole("heading").allInnerTexts();
    expect(new Set(titles).size).toBe(103);
    await more.waitFor({ state: "detached" });
    expect(await axeViolations(page, "trash, two pages (desktop)")).toEqual([]);
  });
});
