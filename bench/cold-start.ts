/**
 * A cold app start, measured in Chromium (Debian's, through playwright-core):
 * a signed-in user opens the app on a NEW device (no IndexedDB, no service
 * worker, only the cookies a sign-in sets) with `DB_LATENCY_MS` between the Worker and
 * the database. Timed from the HTML's arrival to the first screen showing the
 * user's records (an inbox item's title in the page), with the /api requests
 * made before it and how many of them had to wait for another (the
 * waterfall's depth: a request is one step deeper than the deepest request
 * that had finished before it started).
 *
 *   npm run bench -- --cold            # only this row (≈ 1 min), at 100 ms RTT (or --rtt)
 */
import { randomUUID } from "node:crypto";
import { chromium } from "playwright-core";
import { log } from "./config.ts";
import { fmt, makeAgent, seedUsers, send } from "./lib.ts";
import { startStack } from "./stack.ts";

// Browser globals for the callback that runs in the page (no DOM lib in this tsconfig).
declare const document: { body: { innerText: string } };

export interface ColdStart {
  rtt: number;
  /** Navigation start → the HTML's last byte, ms. */
  htmlMs: number;
  /** HTML's last byte → the first record on screen, ms. */
  afterHtmlMs: number;
  /** The shell's first /api request → the first record on screen, ms (the app's own time to content). */
  afterShellMs: number;
  /** The /api requests that started before the records showed, in start order. */
  requests: Array<{ path: string; startMs: number; endMs: number; depth: number; queries: string }>;
  /** The longest chain of /api requests each waiting for the one before. */
  depth: number;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ITEMS = 5;

export async function coldStart(rtt: number, bundleDir: string, webDir: string): Promise<ColdStart> {
  log(`cold start: ${rtt} ms RTT, a new device in Chromium`);
  const stack = await startStack({ bundleDir, assetsDir: webDir, latencyMs: rtt, log });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    timeout: 60_000,
  });
  try {
    const [user] = await seedUsers(stack.db.url, stack.db.directWsProxy, 1, `cold${rtt}`);
    const agent = makeAgent(1);
    const titles: string[] = [];
    for (let i = 0; i < ITEMS; i++) {
      const title = `cold start item ${i} ${randomUUID().slice(0, 8)}`;
      const r = await send(stack.baseUrl, agent, {
        method: "POST",
        path: "/api/user/inbox",
        headers: { authorization: `Bearer ${user!.token}` },
        body: { title },
      });
      if (r.status !== 201) throw new Error(`cold start: seeding an item → ${r.status}`);
      titles.push(title);
    }
    agent.destroy();

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: "block" });
    // What signing in leaves in a browser: the HttpOnly session cookie and, beside it, the readable
    // `signed_in` marker (middleware/auth.ts setSessionCookie) that tells the app a session is worth asking for.
    await context.addCookies([
      { name: "session", value: user!.token, url: stack.baseUrl },
      { name: "signed_in", value: "1", url: stack.baseUrl },
    ]);
    const page = await context.newPage();
    const t0 = performance.now();
    const started = new Map<unknown, { path: string; startMs: number }>();
    const finished: ColdStart["requests"] = [];
    let htmlEnd = NaN;
    page.on("request", (req) => {
      const url = new URL(req.url());
      if (url.pathname.startsWith("/api/"))
        started.set(req, { path: url.pathname + url.search, startMs: performance.now() - t0 });
    });
    page.on("requestfinished", async (req) => {
      const now = performance.now() - t0;
      if (req.resourceType() === "document") htmlEnd = now;
      const s = started.get(req);
      if (!s) return;
      const res = await req.response();
      finished.push({ ...s, endMs: now, depth: 0, queries: (await res?.headerValue("x-db-queries")) ?? "—" });
    });
    await page.goto(stack.baseUrl + "/", { waitUntil: "commit" });
    await page.waitForFunction((title: string) => document.body.innerText.includes(title), titles[0]!, {
      timeout: 60_000,
    });
    const shown = performance.now() - t0;
    await context.close();

    const before = finished.filter((r) => r.startMs < shown).sort((a, b) => a.startMs - b.startMs);
    for (const r of before)
      r.depth = 1 + Math.max(0, ...before.filter((p) => p !== r && p.endMs <= r.startMs).map((p) => p.depth));
    const result: ColdStart = {
      rtt,
      htmlMs: htmlEnd,
      afterHtmlMs: shown - htmlEnd,
      afterShellMs: shown - Math.min(...before.map((r) => r.startMs)),
      requests: before,
      depth: Math.max(0, ...before.map((r) => r.depth)),
    };
    log(
      `  HTML ${fmt(result.htmlMs)} ms, first records ${fmt(result.afterHtmlMs)} ms after it, ${fmt(result.afterShellMs)} ms (${fmt(result.afterShellMs / rtt)} RTT) after the shell's first request; ${before.length} /api requests before, waterfall depth ${result.depth}: ${before.map((r) => `${r.path} [${r.depth}]`).join(", ")}`,
    );
    return result;
  } finally {
    await browser.close().catch(() => {});
    await stack.stop();
  }
}

/** The bench row, as markdown. */
export function renderColdStart(c: ColdStart): string {
  const rows = c.requests.map(
    (r) => `| \`${r.path}\` | ${fmt(r.startMs)} | ${fmt(r.endMs)} | ${r.depth} | ${r.queries} |`,
  );
  return [
    `A new device (Chromium, fresh profile, only the cookies a sign-in sets) at ${c.rtt} ms RTT: the HTML arrived after ${fmt(c.htmlMs)} ms; the first records showed ${fmt(c.afterHtmlMs)} ms after it and **${fmt(c.afterShellMs)} ms (${fmt(c.afterShellMs / c.rtt, 1)} RTT) after the shell's first request**, after ${c.requests.length} /api request(s), **${c.depth} sequential** (each one database round trip: X-Db-Queries below). Target: ≤ 2 RTT after the shell.`,
    "",
    "| Request before the first records | Start ms | End ms | Waterfall step | X-Db-Queries |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
