/**
 * Saved searches on the Search screen, desktop and phone, one account: a
 * query saved under a name on the desktop shows up on the phone, running it
 * there fills the search box (and searches), deleting asks first and works
 * from the keyboard alone; axe-clean on both at each step.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eRig, navigate, newCreds, screenshot, signIn, signUp } from "./browser.ts";

const POLL_WAIT = { timeout: 45_000, interval: 250 };
const BOX = "Search the inbox, references and todos";

const rig = e2eRig();
let desktop: Page;
let phone: Page;
let token: string;
const creds = newCreds("ss");
const api = <T = any>(method: string, path: string, json?: unknown) => apiAs<T>(rig.app.url, token, method, path, json);

beforeAll(async () => {
  await rig.start();
  desktop = (await rig.open("desktop", "desktop")).page;
  phone = (await rig.open("phone", "phone")).page;
});

afterAll(() => rig.stop());

describe("saved searches", () => {
  it("save on the desktop, run and delete (keyboard, confirmed) on the phone; axe-clean", async () => {
    token = await signUp(desktop, creds);
    await api("PUT", "/api/settings", { sync: { poll_interval_s: 5 }, ui: { guide_done: true } });
    await api("POST", "/api/user/inbox", { title: "Buy milk", tags: ["errands"] });
    await desktop.reload();
    await signIn(phone, creds.username, creds.password);
    await navigate(desktop, "search");
    await navigate(phone, "search");

    await desktop.getByLabel(BOX).fill("#errands");
    await desktop.getByLabel("Name for this search").fill("Errands");
    await desktop.getByLabel("Name for this search").press("Enter");
    const saved = desktop.getByRole("button", { name: "Errands", exact: true });
    await saved.waitFor();
    await expect
      .poll(async () => (await api("GET", "/api/saved-searches")).body.items)
      .toEqual([expect.objectContaining({ name: "Errands", query: "#errands" })]);
    expect(await axeViolations(desktop, "desktop search with a saved search")).toEqual([]);
    await screenshot(desktop, "saved-searches-desktop");

    // The phone gets it by sync; running it fills the box and finds the tagged item.
    const onPhone = phone.getByRole("button", { name: "Errands", exact: true });
    await onPhone.waitFor(POLL_WAIT);
    expect(await phone.getByLabel(BOX).inputValue()).toBe("");
    await onPhone.click();
    expect(await phone.getByLabel(BOX).inputValue()).toBe("#errands");
    await phone.getByRole("list", { name: "Search results" }).getByText("Buy milk").waitFor(POLL_WAIT);
    expect(await axeViolations(phone, "phone search, a saved search run")).toEqual([]);
    await screenshot(phone, "saved-searches-phone");

    // Delete from the keyboard: the first Enter asks, Escape backs out, the second time Yes deletes.
    const del = phone.getByRole("button", { name: "Delete saved search “Errands”" });
    await del.focus();
    await phone.keyboard.press("Enter");
    const yes = phone.getByRole("button", { name: "Yes, delete" });
    await yes.waitFor();
    expect(await axeViolations(phone, "phone search, delete asked")).toEqual([]);
    await phone.keyboard.press("Escape");
    await del.waitFor();
    expect(await onPhone.count()).toBe(1);
    await del.focus();
    await phone.keyboard.press("Enter");
    await yes.waitFor();
    await phone.keyboard.press("Enter");
    await onPhone.waitFor({ state: "detached" });
    await expect.poll(async () => (await api("GET", "/api/saved-searches")).body.total).toBe(0);
    await saved.waitFor({ state: "detached", ...POLL_WAIT });
  });
});
