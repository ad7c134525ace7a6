/**
 * Studio end to end: the real app (wrangler dev with its local Queue, embedded
 * Postgres) in Chromium. One account on a desktop (socket) and a phone
 * (polling); a second account acts through the API.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiAs, e2eRig, navigate, newCreds, screenshot, signIn, signUp, unlabeledControls } from "./browser.ts";

declare const location: { hash: string };

const POLL_WAIT = { timeout: 45_000, interval: 250 };
const LIVE_WAIT = { timeout: 10_000, interval: 50 };

const rig = e2eRig();
const { pageErrors } = rig;

const a = newCreds("st");
const b = newCreds("st");
let desktop: Page;
let phone: Page;
let aToken: string;
let bToken: string;

const api = <T = any>(token: string, method: string, path: string, json?: unknown) =>
  apiAs<T>(rig.app.url, token, method, path, json);

const toStudio = async (page: Page, panel = "") => {
  await navigate(page, "studio");
  await page.getByRole("heading", { level: 1, name: "Studio" }).waitFor();
  if (panel) {
    await page.getByRole("navigation", { name: "Studio" }).locator(`a[href="#/studio/${panel}"]`).click();
    await page.waitForFunction((p) => location.hash === `#/studio/${p}`, panel);
  }
};
const loopRow = (page: Page, name: string) =>
  page.getByTestId("loop-row").filter({ has: page.locator(".item-title", { hasText: name }) });
const outputLevel = (page: Page) => page.getByTestId("output-level").evaluate((m: any) => Number(m.value));

beforeAll(async () => {
  await rig.start();
  desktop = (await rig.open("desktop", "desktop")).page;
  aToken = await signUp(desktop, a);
  phone = (await rig.open("phone", "phone")).page;
  await signIn(phone, a.username, a.password);
  const r = await fetch(`${rig.app.url}/api/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(b),
  });
  expect(r.status).toBe(201);
  bToken = ((await r.json()) as { token: string }).token;
});

afterAll(() => rig.stop());

describe("studio in the browser", () => {
  it("a loop made on the desktop appears on the phone", async () => {
    await toStudio(desktop);
    await desktop.getByRole("button", { name: "New loop" }).click();
    const editor = desktop.getByTestId("loop-editor");
    await editor.getByLabel("Name").fill("Sunset groove");
    await editor.getByLabel("Bars", { exact: true }).selectOption("1");
    await editor.getByLabel("Tempo (bpm)").fill("120");
    await editor.getByRole("button", { name: "Per beat" }).click();
    await editor.getByLabel("Bar 1 beat 1 root").selectOption("A");
    await editor.getByLabel("Bar 1 beat 1 quality").selectOption("m7");
    await editor.getByLabel("Bar 1 beat 3 root").selectOption("F#");
    await editor.getByLabel("Bar 1 beat 3 quality").selectOption("dim");
    // An empty beat holds the chord before it.
    for (const beat of [2, 4]) await editor.getByLabel(`Bar 1 beat ${beat} root`).selectOption("");
    await expect.poll(() => editor.getByTestId("chord-summary").innerText()).toBe("Am7 Am7 F#dim F#dim");
    await editor.getByRole("button", { name: "Add clap" }).click();
    await editor.getByLabel("Public (in the feed)").check();
    await editor.getByLabel("Others may remix").check();
    await editor.getByRole("button", { name: "Create loop" }).click();
    await loopRow(desktop, "Sunset groove").waitFor();
    expect(await unlabeledControls(desktop)).toEqual([]);

    await expect
      .poll(async () => {
        const r = await api(aToken, "GET", "/api/studio/loops");
        return r.body.items.map((l: any) => [l.name, l.chord_progression, l.visibility, l.icon_sequence.length]);
      }, POLL_WAIT)
      .toEqual([["Sunset groove", ["Am7", "Am7", "F#dim", "F#dim"], "public", 5]]);

    await toStudio(phone);
    await expect.poll(() => loopRow(phone, "Sunset groove").count(), POLL_WAIT).toBe(1);
    await screenshot(phone, "studio-phone");
  });

  it("another user's like updates the owner's open desktop live", async () => {
    const loop = (await api(aToken, "GET", "/api/studio/loops")).body.items[0];
    const counts = loopRow(desktop, "Sunset groove").getByTestId("likes-count");
    expect(await counts.innerText()).toBe("0 likes");
    expect((await api(bToken, "PUT", `/api/studio/loops/${loop.id}/like`)).body).toEqual({
      liked: true,
      likes_count: 1,
    });
    // Over A's socket: no reload, no poll.
    await expect.poll(() => counts.innerText(), LIVE_WAIT).toBe("1 like");
    await api(bToken, "DELETE", `/api/studio/loops/${loop.id}/like`);
    await expect.poll(() => counts.innerText(), LIVE_WAIT).toBe("0 likes");
  });

  it("pressing play produces sound (the analyser hears it) and counts a play", async () => {
    const row = loopRow(desktop, "Sunset groove");
    await row.getByRole("button", { name: /Play/ }).click();
    await expect.poll(() => outputLevel(desktop), LIVE_WAIT).toBeGreaterThan(0.01);
    await row.getByRole("button", { name: /Stop/ }).click();
    // Stopped: the meter goes away rather than sit there as an empty bar.
    await desktop.getByTestId("output-level").waitFor({ state: "detached" });
    const loop = (await api(aToken, "GET", "/api/studio/loops")).body.items[0];
    await expect
      .poll(async () => (await api(aToken, "GET", `/api/studio/loops/${loop.id}`)).body.plays_count, POLL_WAIT)
      .toBeGreaterThanOrEqual(1);
  });

  it("the same schedule renders non-silent audio offline (Download WAV = OfflineAudioContext)", async () => {
    await loopRow(desktop, "Sunset groove").getByRole("button", { name: "Sunset groove", exact: true }).click();
    const editor = desktop.getByTestId("loop-editor");
    const [download] = await Promise.all([
      desktop.waitForEvent("download"),
      editor.getByRole("button", { name: "Download WAV" }).click(),
    ]);
    const wav = readFileSync((await download.path())!);
    expect(wav.toString("ascii", 0, 4)).toBe("RIFF");
    const rate = wav.readUInt32LE(24);
    const samples = (wav.length - 44) / 2;
    // One pass: 1 bar at 120 bpm = 2 s, plus the render's 0.5 s tail.
    expect(samples / rate).toBeCloseTo(2.5, 1);
    let peak = 0;
    let sum = 0;
    for (let i = 44; i < wav.length; i += 2) {
      const x = Math.abs(wav.readInt16LE(i)) / 0x8000;
      peak = Math.max(peak, x);
      sum += x * x;
    }
    expect(peak).toBeGreaterThan(0.05);
    expect(Math.sqrt(sum / samples)).toBeGreaterThan(0.005);
    await editor.getByRole("button", { name: "Close" }).click();
  });

  it("the feed: like and remix another user's public loop; lineage shows 'Remix of @owner'", async () => {
    const theirs = await api(bToken, "POST", "/api/studio/loops", {
      name: "Rain on tin",
      bars: 2,
      bpm: 90,
      color: "#2a9d8f",
      chord_progression: ["Dm7", "G7"],
      icon_sequence: ["🥁", "🎩"],
      visibility: "public",
      remixable: true,
    });
    expect(theirs.status).toBe(201);
    await toStudio(desktop, "feed");
    const item = desktop.getByTestId("feed-item").filter({ hasText: "Rain on tin" });
    await item.waitFor();
    await expect.poll(() => item.innerText()).toContain(`by @${b.username}`);
    await item.getByRole("button", { name: /^Like/ }).click();
    await expect.poll(() => item.getByTestId("likes-count").innerText()).toBe("1 like");
    await expect
      .poll(async () => (await api(bToken, "GET", `/api/studio/loops/${theirs.body.id}`)).body.likes_count, POLL_WAIT)
      .toBe(1);
    // The like is A's own state: the phone gets it through the change feed.
    await toStudio(phone, "feed");
    const onPhone = phone.getByTestId("feed-item").filter({ hasText: "Rain on tin" });
    await expect.poll(() => onPhone.getByRole("button", { name: /Liked/ }).count(), POLL_WAIT).toBe(1);

    await item.getByRole("button", { name: /^Remix/ }).click();
    await desktop.getByRole("status").filter({ hasText: "Remixed" }).waitFor();
    await toStudio(desktop);
    const remix = loopRow(desktop, "Rain on tin (remix)");
    await remix.waitFor();
    await remix.getByRole("button", { name: "Rain on tin (remix)", exact: true }).click();
    await expect
      .poll(() => desktop.getByTestId("loop-editor").getByTestId("remix-of").innerText(), POLL_WAIT)
      .toBe(`Remix of @${b.username}`);
    await expect
      .poll(async () => (await api(bToken, "GET", `/api/studio/loops/${theirs.body.id}`)).body.remixes_count, POLL_WAIT)
      .toBe(1);
    expect(await unlabeledControls(desktop)).toEqual([]);
    await screenshot(desktop, "studio-desktop");
  });

  it("a song arranges own loops on bars and plays through", async () => {
    await toStudio(desktop, "songs");
    await desktop.getByRole("button", { name: "New song" }).click();
    await desktop.getByLabel("Title").fill("First song");
    await desktop.getByRole("button", { name: "Add a loop" }).click();
    await desktop.getByRole("button", { name: "Add a loop" }).click();
    await desktop.getByLabel("Repeat").first().fill("2");
    await desktop.getByRole("button", { name: "Create song" }).click();
    await expect
      .poll(
        async () => (await api(aToken, "GET", "/api/studio/songs")).body.items.map((s: any) => s.timeline.length),
        POLL_WAIT,
      )
      .toEqual([2]);
    await desktop.getByRole("button", { name: /^Play First song/ }).click();
    await expect.poll(() => outputLevel(desktop), LIVE_WAIT).toBeGreaterThan(0.01);
    await desktop.getByRole("button", { name: /Stop/ }).click();
    expect(await unlabeledControls(desktop)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
