/**
 * Focus presets on the Focus screen, desktop and phone, one account: a length
 * saved under a name on the desktop shows up on the phone, picking it there
 * fills the minutes, deleting asks first and works from the keyboard alone;
 * a preset saved with a library as its soundtrack chooses it when picked;
 * axe-clean on both at each step.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiAs, axeViolations, e2eRig, navigate, newCreds, screenshot, signIn, signUp } from "./browser.ts";

const POLL_WAIT = { timeout: 45_000, interval: 250 };

const rig = e2eRig();
let desktop: Page;
let phone: Page;
let token: string;
const creds = newCreds("fp");
const api = <T = any>(method: string, path: string, json?: unknown) => apiAs<T>(rig.app.url, token, method, path, json);

beforeAll(async () => {
  await rig.start();
  desktop = (await rig.open("desktop", "desktop")).page;
  phone = (await rig.open("phone", "phone")).page;
});

afterAll(() => rig.stop());

describe("focus presets", () => {
  it("save on the desktop, pick and delete (keyboard, confirmed) on the phone; axe-clean", async () => {
    token = await signUp(desktop, creds);
    await api("PUT", "/api/settings", { sync: { poll_interval_s: 5 }, ui: { guide_done: true } });
    await desktop.reload();
    await signIn(phone, creds.username, creds.password);
    await navigate(desktop, "focus");
    await navigate(phone, "focus");

    const minutes = desktop.getByLabel("Minutes");
    await minutes.fill("42");
    await desktop.getByLabel("Preset name").fill("Deep work");
    // Enter in the name field saves the preset; it doesn't start a session.
    await desktop.getByLabel("Preset name").press("Enter");
    const saved = desktop.getByRole("button", { name: "Deep work · 42 min" });
    await saved.waitFor();
    await expect
      .poll(async () => (await api("GET", "/api/focus/presets")).body.items)
      .toEqual([expect.objectContaining({ name: "Deep work", minutes: 42, soundscape: null, library_id: null })]);
    expect((await api("GET", "/api/focus/active")).body.session).toBeNull();
    expect(await axeViolations(desktop, "desktop focus with a preset")).toEqual([]);
    await screenshot(desktop, "focus-presets-desktop");

    // The phone gets it by sync; picking it fills the minutes.
    const onPhone = phone.getByRole("button", { name: "Deep work · 42 min" });
    await onPhone.waitFor(POLL_WAIT);
    await phone.getByRole("button", { name: "15 min", exact: true }).click();
    expect(await phone.getByLabel("Minutes").inputValue()).toBe("15");
    await onPhone.click();
    expect(await phone.getByLabel("Minutes").inputValue()).toBe("42");
    expect(await axeViolations(phone, "phone focus with a preset")).toEqual([]);
    await screenshot(phone, "focus-presets-phone");

    // Delete from the keyboard: the first Enter asks, Escape backs out, the second time Yes deletes.
    const del = phone.getByRole("button", { name: "Delete preset “Deep work”" });
    await del.focus();
    await phone.keyboard.press("Enter");
    const yes = phone.getByRole("button", { name: "Yes, delete" });
    await yes.waitFor();
    expect(await axeViolations(phone, "phone focus, delete asked")).toEqual([]);
    await phone.keyboard.press("Escape");
    await del.waitFor();
    expect(await onPhone.count()).toBe(1);
    await del.focus();
    await phone.keyboard.press("Enter");
    await yes.waitFor();
    await phone.keyboard.press("Enter");
    await onPhone.waitFor({ state: "detached" });
    await expect.poll(async () => (await api("GET", "/api/focus/presets")).body.total).toBe(0);
    await saved.waitFor({ state: "detached", ...POLL_WAIT });

    // A preset keeps the soundtrack chosen when it was saved; picking it on another device chooses it there.
    const lib = (await api("POST", "/api/focus/libraries", { name: "Rainy jazz" })).body;
    await desktop
      .locator("#focus-library option", { hasText: "Rainy jazz" })
      .waitFor({ state: "attached", ...POLL_WAIT });
    await desktop.getByLabel("Soundtrack (optional)").selectOption({ label: "Rainy jazz" });
    await minutes.fill("30");
    await desktop.getByLabel("Preset name").fill("Reading");
    await desktop.getByRole("button", { name: "Save 30 min as preset" }).click();
    await desktop.getByRole("button", { name: "Reading · 30 min · Rainy jazz" }).waitFor();
    await expect
      .poll(async () => (await api("GET", "/api/focus/presets")).body.items)
      .toEqual([expect.objectContaining({ name: "Reading", minutes: 30, soundscape: null, library_id: lib.id })]);
    const reading = phone.getByRole("button", { name: "Reading · 30 min · Rainy jazz" });
    await reading.waitFor(POLL_WAIT);
    expect(await phone.getByLabel("Soundtrack (optional)").inputValue()).toBe("");
    await reading.click();
    expect(await phone.getByLabel("Minutes").inputValue()).toBe("30");
    expect(await phone.getByLabel("Soundtrack (optional)").inputValue()).toBe(lib.id);
    expect(await axeViolations(phone, "phone focus, a preset with a soundtrack picked")).toEqual([]);
  });
});
