/**
 * Settings → Your data in Chromium: the export downloads a real archive, and
 * deleting the account takes the password, works from the keyboard, is
 * axe-clean on a desktop and a phone, and signs every device out.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readArchive } from "../support/archive.ts";
import { apiAs, axeViolations, e2eRig, navigate, newCreds, sessionToken, signUp } from "./browser.ts";

declare const document: any;

const rig = e2eRig();
const { pageErrors } = rig;

const json = (b: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(b));

/** Settings, scrolled to "Your data" (the section loads with the screen). */
async function yourData(page: Page) {
  await navigate(page, "settings");
  const section = page.getByRole("region", { name: "Your data" });
  await section.waitFor();
  await section.scrollIntoViewIfNeeded();
  return section;
}

beforeAll(() => rig.start());

afterAll(async () => {
  await rig.stop();
  expect(pageErrors).toEqual([]);
});

describe("Your data", () => {
  it("downloads the archive from Settings", async () => {
    const creds = newCreds("yd");
    const { page } = await rig.open("desktop", "desktop");
    const token = await signUp(page, creds);
    const item = await apiAs(rig.app.url, token, "POST", "/api/user/inbox", { title: "exported from the UI" });
    expect(item.status).toBe(201);

    const section = await yourData(page);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      section.getByRole("button", { name: "Download my data" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^continuum-${creds.username}-.*\\.zip$`));
    const files = await readArchive(new Uint8Array(await readFile((await download.path())!)));
    expect(json(files.get("manifest.json")).user.username).toBe(creds.username);
    expect(json(files.get("records/inbox_item.json")).map((i: any) => i.id)).toEqual([item.body.id]);
    // Still on Settings: the download didn't navigate away.
    await section.waitFor();
  });

  it("export → import from Settings into a new account → export again: the same records", async () => {
    const creds = newCreds("yd");
    const { page } = await rig.open("desktop", "desktop");
    const token = await signUp(page, creds);
    const api = (method: string, path: string, body?: unknown) => apiAs(rig.app.url, token, method, path, body);
    await api("POST", "/api/user/inbox", { title: "carried over", tags: ["moving"] });
    await api("POST", "/api/todos", { title: "unpack" });
    const loop = await api("POST", "/api/studio/loops", { name: "Mine", bars: 1, bpm: 90, color: "#112233" });
    await api("POST", "/api/studio/songs", {
      title: "Song",
      bpm: 90,
      timeline: [{ loop_id: loop.body.id, start_bar: 0, repeat: 1 }],
    });
    const download = async (p: Page) => {
      const section = await yourData(p);
      const [d] = await Promise.all([
        p.waitForEvent("download"),
        section.getByRole("button", { name: "Download my data" }).click(),
      ]);
      return (await d.path())!;
    };
    const archive = await download(page);

    const { page: next } = await rig.open("desktop", "desktop");
    await signUp(next, newCreds("yd"));
    const section = await yourData(next);
    await section.getByLabel("Archive (.zip)").setInputFiles(archive);
    await section.getByRole("button", { name: "Import", exact: true }).click();
    await expect.poll(() => section.getByRole("status").innerText()).toMatch(/^Imported: \d+ new records/);
    expect(await axeViolations(next, "settings, after an import (desktop)")).toEqual([]);
    // The imported records reach the screens through sync, like any change.
    await navigate(next, "inbox");
    await next.getByRole("heading", { name: "carried over" }).waitFor();

    // Again: nothing new.
    await navigate(next, "settings");
    const again = await yourData(next);
    await again.getByLabel("Archive (.zip)").setInputFiles(archive);
    await again.getByRole("button", { name: "Import", exact: true }).click();
    await expect.poll(() => again.getByRole("status").innerText()).toMatch(/^Imported: 0 new records/);

    // Export again: the same records (the loop got a new id; the song follows it).
    const before = await readArchive(new Uint8Array(await readFile(archive)));
    const after = await readArchive(new Uint8Array(await readFile(await download(next))));
    const strip = (r: any) => ({ ...r, id: undefined });
    for (const e of ["inbox_item", "todo"])
      expect(json(after.get(`records/${e}.json`)), e).toEqual(json(before.get(`records/${e}.json`)));
    const [oldLoop, newLoop] = [json(before.get("records/loop.json"))[0], json(after.get("records/loop.json"))[0]];
    expect(newLoop.id).not.toBe(oldLoop.id);
    expect({ ...strip(newLoop), owner: undefined }).toEqual({ ...strip(oldLoop), owner: undefined });
    expect(json(after.get("records/song.json"))[0].timeline[0].loop_id).toBe(newLoop.id);
  });

  it("deletes the account with the password, by keyboard, axe-clean; every device is signed out", async () => {
    const creds = newCreds("yd");
    const { page } = await rig.open("desktop", "desktop");
    await signUp(page, creds);
    const { page: other } = await rig.open("desktop", "desktop");
    // A second device of the same account, to see it signed out too.
    await other
      .context()
      .addCookies([{ name: "session", value: await sessionToken(page.context()), url: rig.app.url }]);
    const section = await yourData(page);

    // Keyboard: the opener, Escape closes and returns focus, Enter opens with focus in the password field.
    const opener = section.getByRole("button", { name: "Delete my account…" });
    await opener.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("delete-account-password");
    expect(await axeViolations(page, "settings, delete account (desktop)")).toEqual([]);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Delete my account…");

    await page.keyboard.press("Enter");
    await page.keyboard.type("not my password");
    await page.keyboard.press("Enter");
    await expect(section.getByRole("alert").innerText()).resolves.toBe("The password is incorrect.");
    expect((await apiAs(rig.app.url, await sessionToken(page.context()), "GET", "/api/auth/me")).status).toBe(200);

    await page.getByLabel("Your password").fill(creds.password);
    await section.getByRole("button", { name: "Delete my account permanently" }).click();
    await page.getByText("Your account and all its data were deleted.").waitFor();
    await page.getByRole("button", { name: "Sign in" }).first().waitFor();

    const login = await fetch(`${rig.app.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: creds.username, password: creds.password }),
    });
    expect(login.status).toBe(401);
    // The other device finds itself signed out on its next request.
    await other.goto("/");
    await other.getByRole("button", { name: "Sign in" }).first().waitFor();
  });

  it("the delete step is axe-clean on a phone", async () => {
    const { page } = await rig.open("phone", "phone");
    await signUp(page, newCreds("yd"));
    const section = await yourData(page);
    await section.getByRole("button", { name: "Delete my account…" }).click();
    await page.getByLabel("Your password").waitFor();
    expect(await axeViolations(page, "settings, delete account (phone)")).toEqual([]);
  });
});
