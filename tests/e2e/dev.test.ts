/**
 * `npm run dev` (scripts/dev.ts) as a newcomer runs it: on the PORT they give,
 * saying which port it took; a taken PORT is one plain line, not a stack; the
 * demo account comes with content in every domain, and the (local) sign-in
 * page learns the demo login from GET /api/demo.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../scripts/local-db.ts";
import { DEMO } from "../../scripts/seed-demo.ts";
import { ROOT } from "../../scripts/wrangler-dev.ts";
import { launchBrowser, phoneContext } from "./browser.ts";

const state = mkdtempSync(path.join(tmpdir(), "continuum-devtest-"));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM"); // dev.ts stops wrangler (its own process group) and the relay
    await exited;
  }
  rmSync(state, { recursive: true, force: true });
});

/** Runs scripts/dev.ts against the test run's database (a loopback URL → just the relay). */
function dev(port: number) {
  const child = spawn(process.execPath, [path.join(ROOT, "scripts/dev.ts")], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORT: String(port), DATABASE_URL: inject("databaseUrl"), DEV_STATE_DIR: state },
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number>((r) => child.once("exit", (code) => r(code ?? 1)));
  return { child, output: () => out, exited };
}

async function api<T = any>(port: number, method: string, p: string, token?: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

describe("npm run dev", () => {
  it("says plainly that a taken PORT is taken, and exits 1", async () => {
    const holder = createServer();
    const port = await new Promise<number>((r) =>
      holder.listen(0, "127.0.0.1", () => r((holder.address() as { port: number }).port)),
    );
    try {
      const run = dev(port);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${port} (from PORT) is already in use`);
      expect(run.output()).not.toMatch(/^\s+at /m); // no stack trace
    } finally {
      holder.close();
    }
  });

  it("serves on PORT, says so, and opens a demo with content in every domain", async () => {
    const port = await freePort();
    const run = dev(port);
    await expect
      .poll(() => run.output() + (run.child.exitCode === null ? "" : "\n(exited)"), { timeout: 240_000, interval: 500 })
      .toMatch(/Continuum is running at http:\/\/localhost:(\d+)|\(exited\)/);
    expect(run.output()).toContain(`Continuum is running at http://localhost:${port}`);

    expect((await api(port, "GET", "/api/health")).status).toBe(200);
    expect((await api(port, "GET", "/api/demo")).body).toEqual({ login: DEMO.username, password: DEMO.password });

    const { body: session } = await api(port, "POST", "/api/auth/login", undefined, {
      login: DEMO.username,
      password: DEMO.password,
    });
    const get = async (p: string) => (await api(port, "GET", p, session.token)).body;
    const inbox = await get("/api/user/inbox");
    expect(inbox.total).toBeGreaterThanOrEqual(5);
    expect(inbox.items.every((i: { tags: string[] }) => i.tags.length > 0)).toBe(true);

    const focus = (await get("/api/focus/sessions")).items as Array<{
      status: string;
      duration_s: number;
      remaining_s: number;
    }>;
    expect(focus.filter((s) => s.status === "completed").length).toBeGreaterThanOrEqual(3);
    expect(focus.some((s) => s.status === "completed" && s.remaining_s > 0)).toBe(true); // one ended early

    const [library] = (await get("/api/focus/libraries")).items;
    const detail = await get(`/api/focus/libraries/${library.id}`);
    expect(detail.tracks.length).toBeGreaterThanOrEqual(3);
    expect(detail.tracks.every((t: { audio_id: string | null }) => t.audio_id)).toBe(true);
    const audio = await fetch(`http://127.0.0.1:${port}/api/audio/${detail.tracks[0].audio_id}`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(audio.headers.get("content-type")).toBe("audio/wav");

    const refs = (await get("/api/references?archived=all")).items as Array<{ pinned: boolean; archived: boolean }>;
    expect(refs.some((r) => r.pinned)).toBe(true);
    expect(refs.some((r) => r.archived)).toBe(true);
    const todos = (await get("/api/todos")).items as Array<{ done: boolean; due_at: string | null }>;
    expect(todos.some((t) => t.done) && todos.some((t) => t.due_at)).toBe(true);

    // The sign-in page of this local run offers the demo login, and it works.
    const browser = await launchBrowser();
    try {
      const ctx = await phoneContext(browser, `http://localhost:${port}`);
      const page = await ctx.newPage();
      await page.goto("/");
      const demo = page.getByRole("complementary", { name: "Local demo" });
      await demo.waitFor({ timeout: 15_000 });
      expect(await demo.innerText()).toContain(`${DEMO.username}`);
      await demo.getByRole("button", { name: `Sign in as ${DEMO.username}` }).click();
      await page.getByRole("heading", { level: 1, name: "Inbox" }).waitFor({ timeout: 15_000 });
      await expect.poll(() => page.locator("main li.item").count()).toBeGreaterThanOrEqual(5);
    } finally {
      await browser.close();
    }
  });
});
