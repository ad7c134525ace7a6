/**
 * Issue 6, end to end: audio in the real app (wrangler dev with local R2 +
 * embedded Postgres) in Chromium. One account on two desktops
 * (both on the socket): upload a WAV built here with visible progress, make a
 * library with a track from it, play and seek it (the browser streams by
 * Range → 206), and see the track reach the other desktop live. Then a
 * reference with a recording, a fake ".mp3" refused with the 415 message, and
 * the media screens captured on desktop and phone.
 */
import type { BrowserContext, CDPSession, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiAs,
  axeViolations,
  e2eRig,
  navigate,
  newCreds,
  screenshot,
  signIn,
  signUp,
  statusText,
  unlabeledControls,
} from "./browser.ts";

// Browser globals, for the callbacks that run inside pages (this project compiles without the DOM lib).
declare const window: any;
declare const document: any;
declare const location: { hash: string };
declare const MutationObserver: any;

/** A mono 16-bit PCM WAV of a sine tone, built byte by byte. */
function sineWav(seconds: number, hz = 440, rate = 44_100): Buffer {
  const samples = Math.round(seconds * rate);
  const dataBytes = samples * 2;
  const b = Buffer.alloc(44 + dataBytes);
  b.write("RIFF", 0, "ascii");
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write("WAVE", 8, "ascii");
  b.write("fmt ", 12, "ascii");
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); // byte rate
  b.writeUInt16LE(2, 32); // block align
  b.writeUInt16LE(16, 34); // bits per sample
  b.write("data", 36, "ascii");
  b.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples; i++) {
    // A short fade in and out, so it doesn't click.
    const env = Math.min(1, i / 2000, (samples - i) / 2000);
    b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 0.3 * env * 32767), 44 + i * 2);
  }
  return b;
}

const rig = e2eRig();
const { pageErrors } = rig;

interface AudioHit {
  url: string;
  status: number;
  range: string | undefined;
  contentRange: string | undefined;
}

interface Device {
  name: string;
  ctx: BrowserContext;
  page: Page;
  frames: string[];
  /** Responses to GET /api/audio/<id> (the media element's requests). */
  audioHits: AudioHit[];
  /** Responses to POST /api/audio. */
  uploads: Array<{ status: number; filename: string | undefined }>;
}

async function device(name: string, kind: "desktop" | "phone"): Promise<Device> {
  const { ctx, page } = await rig.open(kind, name);
  const d: Device = { name, ctx, page, frames: [], audioHits: [], uploads: [] };
  page.on("websocket", (ws) => ws.on("framereceived", (f) => d.frames.push(String(f.payload))));
  page.on("response", (res: Response) => {
    const url = new URL(res.url());
    const req = res.request();
    if (/^\/api\/audio\/[0-9a-f-]{36}$/.test(url.pathname) && req.method() === "GET")
      d.audioHits.push({
        url: url.pathname,
        status: res.status(),
        range: req.headers()["range"],
        contentRange: res.headers()["content-range"],
      });
    if (url.pathname === "/api/audio" && req.method() === "POST")
      d.uploads.push({ status: res.status(), filename: req.headers()["x-filename"] });
  });
  return d;
}

const api = <T = any>(token: string, method: string, path: string, json?: unknown) =>
  apiAs<T>(rig.app.url, token, method, path, json);

/** Through the nav, like a user; resolves once the view's heading is up. */
async function go(page: Page, view: string, heading: string) {
  await navigate(page, view);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/**
 * Caps the page's upload speed (bytes/s; -1 lifts the cap) through the
 * DevTools protocol. The session stays open: detaching would drop the cap.
 */
const throttles = new WeakMap<Page, CDPSession>();
async function throttleUploads(page: Page, bytesPerSecond: number): Promise<void> {
  let cdp = throttles.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    throttles.set(page, cdp);
  }
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/** Gives the file to the labelled file input, as a user picking it would. */
async function chooseFile(page: Page, label: string, file: { name: string; mimeType: string; buffer: Buffer }) {
  await page.getByLabel(label, { exact: true }).setInputFiles(file);
}

const uploadRow = (page: Page, filename: string) =>
  page.getByTestId("upload-row").filter({ has: page.getByRole("progressbar", { name: `Upload of ${filename}` }) });

/** The <audio> inside the player titled `title`. */
const mediaOf = (page: Page, title: string) =>
  page.getByRole("group", { name: `Player: ${title}`, exact: true }).locator("audio");

const media = (page: Page, title: string) =>
  mediaOf(page, title).evaluate((el: any) => ({
    currentTime: el.currentTime as number,
    duration: el.duration as number,
    readyState: el.readyState as number,
    paused: el.paused as boolean,
    error: el.error ? String(el.error.code) : null,
  }));

const creds = newCreds("e2e_au");

/** Long enough that the browser doesn't fetch it all before the seek. */
const TONE_S = 40;
const TONE_CLOCK = "0:40";
const TONE = { name: "sine-440.wav", mimeType: "audio/wav", buffer: sineWav(TONE_S) };
const MEMO = { name: "voice-memo.wav", mimeType: "audio/wav", buffer: sineWav(3, 330) };
const TRACK = "Sine 440";
const LIBRARY = "Deep work";
const REFERENCE = "Standup notes";

let a: Device;
let b: Device;
let token: string;
let toneId: string;

beforeAll(() => rig.start());

afterAll(() => rig.stop());

describe("audio, libraries and references on two desktops of one account", () => {
  it("uploads a WAV made in the test: progress reaches 100 %, the file lists on both desktops", async () => {
    a = await device("desktop-a", "desktop");
    b = await device("desktop-b", "desktop");
    token = await signUp(a.page, creds);
    await signIn(b.page, creds.username, creds.password);
    await expect.poll(() => statusText(a.page)).toBe("Live");
    await expect.poll(() => statusText(b.page)).toBe("Live");

    await go(a.page, "audio", "Audio");
    await go(b.page, "audio", "Audio");
    // Every value the progress bar takes, as the page sees it.
    await a.page.evaluate(() => {
      const w = window as { e2eProgress?: string[] };
      w.e2eProgress = [];
      new MutationObserver((records: Array<{ target: any }>) => {
        for (const r of records) {
          if (r.target.getAttribute?.("role") === "progressbar")
            w.e2eProgress!.push(r.target.getAttribute("aria-valuenow"));
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    });

    // Locally the bytes go up in a blink; a slower uplink lets the bar show its way there.
    await throttleUploads(a.page, 2_000_000);
    const t0 = Date.now();
    await chooseFile(a.page, "Choose audio files", TONE);
    const bar = a.page.getByRole("progressbar", { name: `Upload of ${TONE.name}` });
    await bar.waitFor();
    await expect.poll(() => bar.getAttribute("aria-valuenow")).toBe("100");
    const row = uploadRow(a.page, TONE.name);
    await expect.poll(() => row.getAttribute("data-status")).toBe("done");
    expect(await row.getByTestId("upload-status").innerText()).toBe("Uploaded");
    console.log(`[e2e] audio: ${TONE.buffer.length} B uploaded and stored in ${Date.now() - t0} ms`);
    await throttleUploads(a.page, -1);
    const seen = ((await a.page.evaluate(() => (window as { e2eProgress: string[] }).e2eProgress)) as string[]).map(
      Number,
    );
    console.log(`[e2e] audio: progress values ${JSON.stringify(seen)}`);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.filter((v) => v > 0 && v < 100).length).toBeGreaterThanOrEqual(3);
    expect(a.uploads).toEqual([{ status: 201, filename: TONE.name }]);

    // The stored record: sniffed as WAV, with the duration from its header.
    const list = await api<{ items: Array<{ id: string; filename: string; format: string; duration_s: number }> }>(
      token,
      "GET",
      "/api/audio",
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const stored = list.body.items[0]!;
    expect(stored).toMatchObject({ filename: TONE.name, format: "wav", size: TONE.buffer.length });
    expect(stored.duration_s).toBeCloseTo(40, 1);
    toneId = stored.id;

    for (const d of [a, b]) {
      const file = d.page.locator(`[data-testid=audio-row][data-audio-id="${toneId}"]`);
      await file.waitFor();
      expect(await file.locator(".item-title").innerText()).toBe(TONE.name);
      expect(await file.locator("p.muted").innerText()).toMatch(/^WAV · 3.5 MB · 0:40 · now$/); // Intl.RelativeTimeFormat, en-US
    }
  });

  it("makes a library and adds a track from the upload; the other desktop sees it live", async () => {
    await go(a.page, "libraries", "Libraries");
    await go(b.page, "libraries", "Libraries");
    await a.page.getByLabel("New library").fill(LIBRARY);
    await a.page.getByRole("button", { name: "Create library" }).click();
    for (const d of [a, b]) await d.page.getByRole("link", { name: LIBRARY }).waitFor();
    const libraryId = (await a.page.getByTestId("library-row").getAttribute("data-library-id"))!;
    expect(libraryId).toMatch(/^[0-9a-f-]{36}$/);
    for (const d of [a, b]) {
      await d.page.getByRole("link", { name: LIBRARY }).click();
      await d.page.waitForFunction((id) => location.hash === `#/libraries/${id}`, libraryId);
      await d.page.getByRole("heading", { level: 1, name: LIBRARY }).waitFor();
      await d.page.getByText("No tracks yet. Add one below.").waitFor();
    }

    const framesBefore = b.frames.length;

    await a.page.getByLabel("Audio file", { exact: true }).selectOption({ label: TONE.name });
    await a.page.getByLabel("Title", { exact: true }).fill(TRACK);
    await a.page.getByRole("button", { name: "Add track" }).click();
    const mine = a.page.getByTestId("track-row").filter({ hasText: TRACK });
    await mine.waitFor();
    expect(await mine.locator("p.muted").innerText()).toBe(`${TONE.name} · 0:40`);

    // How fast is the bench's business (npm run bench); here: that it came over the
    // socket, a "changes" frame carrying the track.
    const pushed = () =>
      b.frames
        .slice(framesBefore)
        .map(
          (f) =>
            JSON.parse(f) as { type: string; changes?: Array<{ entity: string; data: { title?: string } | null }> },
        )
        .filter(
          (m) => m.type === "changes" && m.changes?.some((c) => c.entity === "focus_track" && c.data?.title === TRACK),
        );
    await expect.poll(() => pushed().length).toBe(1);
    expect(await statusText(b.page)).toBe("Live");
    const theirs = b.page.getByTestId("track-row").filter({ hasText: TRACK });
    await theirs.waitFor();
    expect(await theirs.locator("p.muted").innerText()).toBe(`${TONE.name} · 0:40`);
    await b.page.getByRole("button", { name: `Play ${TRACK}` }).waitFor();
  });

  it("plays the track; seeking with the slider jumps there, fetched by a Range request (206)", async () => {
    // Desktop A plays from the start and seeks while playing.
    const seek = (p: Page) => p.getByRole("slider", { name: `Seek ${TRACK}` });
    const time = a.page.getByTestId("track-row").filter({ hasText: TRACK }).getByTestId("player-time");
    // preload=metadata: the length is known before anything plays.
    await expect.poll(async () => (await media(a.page, TRACK)).readyState).toBeGreaterThanOrEqual(1);
    expect((await media(a.page, TRACK)).duration).toBeCloseTo(TONE_S, 1);
    expect(await time.innerText()).toBe(`0:00 / ${TONE_CLOCK}`);

    await a.page.getByRole("button", { name: `Play ${TRACK}` }).click();
    await a.page.getByRole("button", { name: `Pause ${TRACK}` }).waitFor();
    await expect.poll(async () => (await media(a.page, TRACK)).currentTime).toBeGreaterThan(0.3);
    const playing = await media(a.page, TRACK);
    expect(playing).toMatchObject({ paused: false, error: null });
    expect(playing.readyState).toBeGreaterThanOrEqual(2);

    await seek(a.page).fill("20");
    await expect.poll(async () => (await media(a.page, TRACK)).currentTime).toBeGreaterThanOrEqual(20);
    const jumped = (await media(a.page, TRACK)).currentTime;
    expect(jumped).toBeLessThan(25);
    // …and it plays on from there.
    await expect.poll(async () => (await media(a.page, TRACK)).currentTime).toBeGreaterThan(jumped + 0.3);
    expect(await time.innerText()).toMatch(new RegExp(`^0:2\\d / ${TONE_CLOCK}$`));
    await a.page.getByRole("button", { name: `Pause ${TRACK}` }).click();
    await expect.poll(async () => (await media(a.page, TRACK)).paused).toBe(true);
    expect(a.audioHits.filter((h) => h.url === `/api/audio/${toneId}`).map((h) => h.status)).toContain(206);

    // Desktop B has only the metadata; seeking far ahead makes the browser
    // fetch from there — a Range request, answered 206 with a Content-Range.
    await expect.poll(async () => (await media(b.page, TRACK)).readyState).toBeGreaterThanOrEqual(1);
    const before = await mediaOf(b.page, TRACK).evaluate((el: any) => (el.buffered.length ? el.buffered.end(0) : 0));
    expect(before).toBeLessThan(30);
    const hitsBefore = b.audioHits.length;
    await seek(b.page).fill("35");
    await expect.poll(async () => (await media(b.page, TRACK)).currentTime).toBeCloseTo(35, 1);
    await expect.poll(async () => (await media(b.page, TRACK)).readyState).toBeGreaterThanOrEqual(2);
    const targetByte = 44 + 35 * 44_100 * 2;
    const hits = b.audioHits.slice(hitsBefore).filter((h) => h.url === `/api/audio/${toneId}`);
    console.log(`[e2e] audio: seek to 0:35 (byte ${targetByte}) fetched ${JSON.stringify(hits.map((h) => h.range))}`);
    const ranged = hits.find((h) => h.status === 206 && /^bytes=[1-9]\d*-/.test(h.range ?? ""));
    expect(ranged, JSON.stringify(b.audioHits)).toBeDefined();
    const [, from, to, size] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(ranged!.contentRange ?? "")!.map(Number);
    expect(size).toBe(TONE.buffer.length);
    expect(from).toBe(Number(/^bytes=(\d+)-/.exec(ranged!.range!)![1]));
    expect(from).toBeGreaterThan(before * 44_100 * 2 - 65_536);
    expect(from).toBeLessThanOrEqual(targetByte);
    expect(to).toBe(TONE.buffer.length - 1);
    await b.page.getByRole("button", { name: `Play ${TRACK}` }).click();
    await expect.poll(async () => (await media(b.page, TRACK)).currentTime).toBeGreaterThan(35.3);
    await b.page.getByRole("button", { name: `Pause ${TRACK}` }).click();
    await expect.poll(async () => (await media(b.page, TRACK)).paused).toBe(true);
  });

  it("renames a track from the keyboard; the other desktop sees the new title; Escape cancels", async () => {
    const renamed = `${TRACK} (renamed)`;
    const titles = (p: Page) => p.getByTestId("track-row").locator(".item-title").allInnerTexts();
    const rename = a.page.getByRole("button", { name: `Rename “${TRACK}”` });
    await rename.focus();
    await a.page.keyboard.press("Enter");
    const field = a.page.getByLabel("Track title");
    await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true);
    await field.fill(renamed);
    await a.page.keyboard.press("Enter");
    await expect.poll(() => titles(a.page)).toContain(renamed);
    await expect.poll(() => titles(b.page)).toContain(renamed);

    // Escape leaves the title as it was and gives focus back to the button.
    const again = a.page.getByRole("button", { name: `Rename “${renamed}”` });
    await again.click();
    await a.page.getByLabel("Track title").fill("not this");
    await a.page.keyboard.press("Escape");
    await expect.poll(() => again.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await titles(a.page)).toContain(renamed);

    // Back to the original title for the flows below.
    await again.click();
    await a.page.getByLabel("Track title").fill(TRACK);
    await a.page.keyboard.press("Enter");
    await expect.poll(() => titles(b.page)).toContain(TRACK);
  });

  it("reorders tracks by dragging a row's handle (the other desktop follows); ↑ puts it back", async () => {
    const titles = (p: Page) => p.getByTestId("track-row").locator(".item-title").allInnerTexts();
    const libs = await api<{ items: Array<{ id: string; name: string }> }>(token, "GET", "/api/focus/libraries");
    const lib = libs.body.items.find((l) => l.name === LIBRARY)!;
    const second = { title: "Brown noise", url: "https://example.com/audio/brown.ogg", duration_s: 600 };
    expect((await api(token, "POST", `/api/focus/libraries/${lib.id}/tracks`, second)).status).toBe(201);
    await expect.poll(() => titles(a.page)).toEqual([TRACK, second.title]);

    const rows = a.page.getByTestId("track-row");
    await rows.nth(1).getByTestId("drag-handle").dragTo(rows.nth(0));
    await expect.poll(() => titles(a.page)).toEqual([second.title, TRACK]);
    await expect.poll(() => titles(b.page)).toEqual([second.title, TRACK]);
    const server = await api<{ tracks: Array<{ title: string; position: number }> }>(
      token,
      "GET",
      `/api/focus/libraries/${lib.id}`,
    );
    expect(server.body.tracks.map((t) => [t.title, t.position])).toEqual([
      [second.title, 0],
      [TRACK, 1],
    ]);

    // The keyboard way back: ↑ on the Sine track.
    await a.page.getByRole("button", { name: `Move “${TRACK}” up` }).click();
    await expect.poll(() => titles(b.page)).toEqual([TRACK, second.title]);
  });

  it("a reference with a recording uploaded from its form, shown with a player on both desktops", async () => {
    await go(a.page, "references", "References");
    await go(b.page, "references", "References");
    await a.page.getByRole("button", { name: "New reference" }).click();
    const form = a.page.getByRole("form", { name: "New reference" });
    await form.getByLabel("Title", { exact: true }).fill(REFERENCE);
    await form.getByLabel("Content", { exact: true }).fill("Decisions from Monday's standup, and the recording.");
    await form.getByLabel("Category (optional)").fill("Meetings");
    await form.getByLabel("Tags", { exact: true }).fill("#work #team");
    await chooseFile(a.page, "Upload a recording", MEMO);
    await expect.poll(() => uploadRow(a.page, MEMO.name).getAttribute("data-status")).toBe("done");
    expect(
      await a.page.getByRole("progressbar", { name: `Upload of ${MEMO.name}` }).getAttribute("aria-valuenow"),
    ).toBe("100");
    // The upload is picked as the recording at once.
    await expect
      .poll(() => form.getByLabel("Audio file", { exact: true }).evaluate((el: any) => el.selectedOptions[0]?.text))
      .toBe(MEMO.name);
    await form.getByRole("button", { name: "Create reference" }).click();

    const memo = await api<{ items: Array<{ id: string; filename: string }> }>(token, "GET", "/api/audio");
    const memoId = memo.body.items.find((x) => x.filename === MEMO.name)?.id;
    expect(memoId).toBeDefined();
    const recording = `Recording for “${REFERENCE}”`;
    for (const d of [a, b]) {
      const row = d.page.getByTestId("reference-row").filter({ hasText: REFERENCE });
      await row.waitFor();
      expect(await row.getByRole("button", { name: "Meetings — show only this category" }).count()).toBe(1);
      await row.getByRole("button", { name: `Play ${recording}` }).waitFor();
      await expect.poll(async () => (await media(d.page, recording)).readyState).toBeGreaterThanOrEqual(1);
      expect((await media(d.page, recording)).duration).toBeCloseTo(3, 1);
    }
    const refs = await api<{ items: Array<{ title: string; audio_id: string | null; tags: string[] }> }>(
      token,
      "GET",
      "/api/references",
    );
    expect(refs.body.items).toEqual([
      expect.objectContaining({ title: REFERENCE, audio_id: memoId, tags: ["work", "team"] }),
    ]);

    await b.page.getByRole("button", { name: `Play ${recording}` }).click();
    await expect.poll(async () => (await media(b.page, recording)).currentTime).toBeGreaterThan(0.3);
    await b.page.getByRole("button", { name: `Pause ${recording}` }).click();
    expect(b.audioHits.filter((h) => h.url === `/api/audio/${memoId}`).map((h) => h.status)).toContain(206);
  });

  it("a text file renamed .mp3 is refused with the 415 message, and nothing is stored", async () => {
    await go(a.page, "audio", "Audio");
    const files = a.page.getByTestId("audio-row");
    await expect.poll(() => files.count()).toBe(2);
    const fake = { name: "notes.mp3", mimeType: "audio/mpeg", buffer: Buffer.from("Meeting notes\n- ship it\n") };
    await chooseFile(a.page, "Choose audio files", fake);
    const row = uploadRow(a.page, fake.name);
    await expect.poll(() => row.getAttribute("data-status")).toBe("failed");
    const alert = row.getByRole("alert");
    expect(await alert.innerText()).toBe(
      "“notes.mp3” isn't a supported audio file (MP3, WAV, OGG/Opus, FLAC, M4A/AAC or WebM).",
    );
    expect(await row.getByTestId("upload-status").innerText()).toBe("Failed:");
    await row.getByRole("button", { name: `Retry upload of ${fake.name}` }).waitFor();
    expect(a.uploads.at(-1)).toEqual({ status: 415, filename: fake.name });
    const list = await api<{ items: Array<{ filename: string }> }>(token, "GET", "/api/audio");
    expect(list.body.items.map((x) => x.filename).sort()).toEqual([TONE.name, MEMO.name].sort());
    expect(await files.count()).toBe(2);
    await row.getByRole("button", { name: `Dismiss ${fake.name}` }).click();
    await row.waitFor({ state: "detached" });
  });
});

describe("an upload cancelled midway", () => {
  it("stops, stores nothing, and a retry stores the file once", async () => {
    const page = a.page;
    const file = { name: "long-take.wav", mimeType: "audio/wav", buffer: sineWav(12, 550) };
    const listed = async () =>
      (await api<{ items: Array<{ filename: string; size: number }> }>(token, "GET", "/api/audio")).body.items;
    const before = (await listed()).length;
    const dropped = () => rig.app.logs().split("Network connection lost").length;
    const droppedBefore = dropped();
    await throttleUploads(page, 300_000);
    const row = uploadRow(page, file.name);
    try {
      await chooseFile(page, "Choose audio files", file);
      const bar = page.getByRole("progressbar", { name: `Upload of ${file.name}` });
      await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow"))).toBeGreaterThanOrEqual(10);
      expect(await row.getAttribute("data-status")).toBe("uploading");
      await row.getByRole("button", { name: `Cancel upload of ${file.name}` }).click();
      await expect.poll(() => row.getAttribute("data-status")).toBe("cancelled");
      expect(await row.getByTestId("upload-status").innerText()).toBe("Cancelled");
      expect(await bar.getAttribute("aria-valuenow")).toBe("0");
      // The server saw the connection drop mid-body. (Only then is the
      // DevTools cap lifted: lifting it earlier lets Chromium finish sending
      // a request the page already aborted.)
      await expect.poll(dropped).toBeGreaterThan(droppedBefore);
    } finally {
      await throttleUploads(page, -1);
    }
    expect(await listed()).toHaveLength(before);

    await row.getByRole("button", { name: `Retry upload of ${file.name}` }).click();
    await expect.poll(() => row.getAttribute("data-status")).toBe("done");
    await page.locator("[data-testid=audio-row]").filter({ hasText: file.name }).waitFor();
    const after = await listed();
    expect(after).toHaveLength(before + 1);
    expect(after.filter((x) => x.filename === file.name)).toEqual([
      expect.objectContaining({ size: file.buffer.length }),
    ]);
    expect(a.uploads.filter((u) => u.filename === file.name)).toEqual([{ status: 201, filename: file.name }]);
    await row.getByRole("button", { name: `Dismiss ${file.name}` }).click();
    await row.waitFor({ state: "detached" });
  });
});

describe("the media screens, desktop and phone", () => {
  it("have an accessible name on every control, and are captured as screenshots", async () => {
    const problems: string[] = [];
    const check = async (p: Page, where: string) => {
      problems.push(...(await unlabeledControls(p)).map((u) => `${where}: ${u.html}`));
      problems.push(...(await axeViolations(p, where)));
    };
    const shots: Record<string, { name: string; buffer: Buffer }> = {
      desktop: { name: "ocean-waves.wav", buffer: sineWav(12, 220) },
      phone: { name: "birdsong.wav", buffer: sineWav(8, 660) },
    };
    // A little more content, through the API, so the screens look lived in.
    const lib = await api<{ id: string }>(token, "POST", "/api/focus/libraries", { name: "Morning pages" });
    expect(lib.status).toBe(201);
    expect((await api(token, "POST", `/api/focus/libraries/${lib.body.id}/favorite`)).status).toBe(200);
    const track = { title: "Rain on a tin roof", url: "https://example.com/audio/rain.ogg", duration_s: 1800 };
    expect((await api(token, "POST", `/api/focus/libraries/${lib.body.id}/tracks`, track)).status).toBe(201);
    for (const r of [
      {
        title: "Pomodoro technique",
        url: "https://en.wikipedia.org/wiki/Pomodoro_Technique",
        content: "25 minutes on, 5 off; a longer break after four.",
        category: "Reading",
        tags: ["focus"],
        pinned: true,
      },
      { title: "Release checklist", content: "Changelog, tag, deploy, announce.", category: "Work", tags: ["work"] },
    ])
      expect((await api(token, "POST", "/api/references", r)).status).toBe(201);

    for (const kind of ["desktop", "phone"] as const) {
      const d = await device(`shots-${kind}`, kind);
      await signIn(d.page, creds.username, creds.password);
      if (kind === "phone") expect(await statusText(d.page)).toMatch(/^Polling every/);

      await go(d.page, "audio", "Audio");
      await chooseFile(d.page, "Choose audio files", { ...shots[kind]!, mimeType: "audio/wav" });
      await expect.poll(() => uploadRow(d.page, shots[kind]!.name).getAttribute("data-status")).toBe("done");
      // The stored file lists here too (the uploader pulls the change feed).
      await d.page.locator("[data-testid=audio-row]").filter({ hasText: shots[kind]!.name }).waitFor();
      await check(d.page, `${kind} audio`);
      await screenshot(d.page, `audio-${kind}`);

      await go(d.page, "libraries", "Libraries");
      await expect.poll(() => d.page.getByTestId("library-row").count()).toBe(2);
      await check(d.page, `${kind} libraries`);
      await screenshot(d.page, `libraries-${kind}`);
      await d.page.getByRole("link", { name: LIBRARY }).click();
      await d.page.getByRole("heading", { level: 1, name: LIBRARY }).waitFor();
      await expect.poll(async () => (await media(d.page, TRACK)).readyState).toBeGreaterThanOrEqual(1);
      await check(d.page, `${kind} library`);
      await screenshot(d.page, `library-${kind}`);

      await go(d.page, "references", "References");
      await expect.poll(() => d.page.getByTestId("reference-row").count()).toBe(3);
      await expect
        .poll(async () => (await media(d.page, `Recording for “${REFERENCE}”`)).readyState)
        .toBeGreaterThanOrEqual(1);
      await check(d.page, `${kind} references`);
      await screenshot(d.page, `references-${kind}`);
      await d.page.getByRole("button", { name: "New reference" }).click();
      await d.page.getByRole("form", { name: "New reference" }).waitFor();
      await check(d.page, `${kind} new reference`);
    }
    expect(problems).toEqual([]);
  });
});

describe("after all flows", () => {
  it("no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
