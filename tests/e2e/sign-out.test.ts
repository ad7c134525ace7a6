/**
 * Signing out with changes that haven't reached the server: online, Sign out
 * waits for them (moments) and asks nothing; offline, it says how many would
 * be lost and asks, and "no" keeps the account signed in with them queued.
 */
import { describe, expect, it } from "vitest";
import { apiAs, e2eSuite, newCreds, signUp, statusText } from "./browser.ts";

const rig = e2eSuite();
const signOutButton = (page: import("playwright-core").Page) => page.getByRole("button", { name: /^Sign out/ }).first();

describe("sign out with changes waiting", () => {
  it("offline it asks first and 'no' keeps them; online it lets them land and asks nothing", async () => {
    const { ctx, page } = await rig.open("desktop", "sign-out");
    const creds = newCreds("so");
    const token = await signUp(page, creds);
    // A new account's first start sends its time zone: let that land first.
    await expect
      .poll(async () => (await apiAs(rig.app.url, token, "GET", "/api/settings")).body.time_zone, { timeout: 30_000 })
      .toBe("UTC");
    await expect.poll(() => statusText(page), { timeout: 30_000 }).toBe("Live");

    await ctx.setOffline(true);
    await expect.poll(() => statusText(page)).toBe("Offline");
    const omnibar = page.getByLabel("Capture to inbox");
    await omnibar.fill("kept through a sign-out I took back");
    await omnibar.press("Enter");
    await expect.poll(() => statusText(page)).toBe("Offline — 1 change waiting");
    const asked: string[] = [];
    page.once("dialog", (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await signOutButton(page).click();
    await expect.poll(() => asked).toEqual([expect.stringContaining("1 change hasn't reached the server yet")]);
    expect(await statusText(page)).toBe("Offline — 1 change waiting"); // still signed in, still queued

    // Back online, a new capture and Sign out at once: no question, and both reach the server first.
    await ctx.setOffline(false);
    await omnibar.fill("made just before signing out");
    await omnibar.press("Enter");
    page.on("dialog", (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await signOutButton(page).click();
    await page.getByLabel("Email or username").waitFor({ timeout: 30_000 });
    expect(asked).toHaveLength(1);
    expect((await apiAs(rig.app.url, token, "GET", "/api/user/inbox")).status).toBe(401); // that session ended
    const login = await fetch(`${rig.app.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.77" },
      body: JSON.stringify({ login: creds.username, password: creds.password }),
    });
    const fresh = ((await login.json()) as { token: string }).token;
    const items = (await apiAs(rig.app.url, fresh, "GET", "/api/user/inbox")).body.items as { title: string }[];
    expect(items.map((i) => i.title)).toEqual(
      expect.arrayContaining(["kept through a sign-out I took back", "made just before signing out"]),
    );
  });
});
