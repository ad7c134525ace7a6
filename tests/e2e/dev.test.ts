/**
 * `npm run dev` (scripts/dev.ts) as a newcomer runs it: on the PORT they give,
 * saying which port it took; a taken PORT is one plain line, not a stack; by
 * the time it prints its URL the demo account has content in every domain
 * (inbox, focus, libraries with tracks, references, todos, market, studio,
 * a conversation waiting for approval), and the (local) sign-in page learns
 * the demo login from GET /api/demo. A restart adds nothing, even when every
 * seed runs again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../scripts/local-db.ts";
import { DEMO } from "../../scripts/seed-demo.ts";
import { entities } from "../../workers/protocol/registry.ts";
import { holdPort, scriptRunner, type ScriptRun } from "./app.ts";
import { launchBrowser, phoneContext } from "./browser.ts";

const state = mkdtempSync(path.join(tmpdir(), "continuum-devtest-"));
const scripts = scriptRunner();

afterAll(async () => {
  await scripts.stopAll();
  rmSync(state, { recursive: true, force: true });
});

/** Runs scripts/dev.ts against the test run's database (a loopback URL → just the relay). */
const dev = (port: number) =>
  scripts.run("scripts/dev.ts", {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: inject("ownerDatabaseUrl"),
    DEV_STATE_DIR: state,
  });

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

/** Waits for dev.ts to say it is running (or to exit); returns when either happened. */
async function untilRunning(run: ScriptRun) {
  await expect
    .poll(() => run.output() + (run.child.exitCode === null ? "" : "\n(exited)"), { timeout: 300_000, interval: 500 })
    .toMatch(/Continuum is running at http:\/\/localhost:(\d+)|\(exited\)/);
}

const stop = (run: ScriptRun) => scripts.stop(run.child);

/** How many records the demo account holds in each domain (every list here is below its page size). */
async function demoCounts(port: number, token: string): Promise<Record<string, number>> {
  const items = async (p: string) => ((await api(port, "GET", p, token)).body.items as unknown[]).length;
  const libraries = (await api(port, "GET", "/api/focus/libraries", token)).body.items as Array<{ id: string }>;
  let tracks = 0;
  for (const l of libraries)
    tracks += (await api(port, "GET", `/api/focus/libraries/${l.id}`, token)).body.tracks.length;
  const conversations = (await api(port, "GET", "/api/assistant/conversations", token)).body.items as Array<{
    id: string;
  }>;
  let messages = 0;
  for (const c of conversations)
    messages += (await api(port, "GET", `/api/assistant/conversations/${c.id}/state`, token)).body.messages.length;
  return {
    inbox: await items("/api/user/inbox"),
    focus: await items("/api/focus/sessions"),
    libraries: libraries.length,
    tracks,
    references: await items("/api/references?archived=all"),
    todos: await items("/api/todos"),
    rewards: await items("/api/market/items"),
    purchases: await items("/api/market/purchases"),
    coins: (await api(port, "GET", "/api/market/wallet", token)).body.balance,
    loops: await items("/api/studio/loops"),
    songs: await items("/api/studio/songs"),
    conversations: conversations.length,
    messages,
    audio: await items("/api/audio"),
    // Every declared record type, by its list's total.
    ...Object.fromEntries(
      await Promise.all(
        Object.values(entities).flatMap((r) =>
          "api" in r ? [api(port, "GET", r.api.path, token).then((res) => [r.entity, res.body.total])] : [],
        ),
      ),
    ),
  };
}

let port = 0;
let token = "";
let counts: Record<string, number> | undefined;

describe("npm run dev", () => {
  it("says plainly that a taken PORT is taken, and exits 1", async () => {
    const { holder, port: taken } = await holdPort();
    try {
      const run = dev(taken);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${taken} (from PORT) is already in use`);
      expect(run.output()).not.toMatch(/^\s+at /m); // no stack trace
    } finally {
      holder.close();
    }
  });

  it("prints its URL only once the demo has content in every domain", async () => {
    port = await freePort();
    const run = dev(port);
    await untilRunning(run);
    expect(run.output()).toContain(`Continuum is running at http://localhost:${port}`);
    // Nothing below waits: everything must already be there when the URL is printed.
    expect((await api(port, "GET", "/api/health")).status).toBe(200);
    expect((await api(port, "GET", "/api/demo")).body).toEqual({ login: DEMO.username, password: DEMO.password });

    const { body: session } = await api(port, "POST", "/api/auth/login", undefined, {
      login: DEMO.username,
      password: DEMO.password,
    });
    token = session.token;
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

    // Market: coins earned by a completed session, a custom reward, a purchase.
    expect((await get("/api/market/wallet")).balance).toBeGreaterThan(0);
    expect((await get("/api/market/items")).items.map((i: { name: string }) => i.name)).toContain(
      "An episode of my show",
    );
    expect((await get("/api/market/purchases")).items.length).toBeGreaterThanOrEqual(1);

    // Studio: loops (one public, in the feed) and a song that arranges them.
    const loops = (await get("/api/studio/loops")).items as Array<{ id: string; visibility: string }>;
    expect(loops.length).toBeGreaterThanOrEqual(2);
    const feed = (await get("/api/studio/feed")).items as Array<{ id: string }>;
    expect(feed.some((f) => loops.some((l) => l.id === f.id))).toBe(true);
    const songs = (await get("/api/studio/songs")).items as Array<{ timeline: Array<{ loop_id: string }> }>;
    expect(songs.some((song) => song.timeline.length > 0)).toBe(true);

    // Assistant: a conversation waiting for the user to approve a data-changing call.
    const conversations = (await get("/api/assistant/conversations")).items as Array<{ id: string; status: string }>;
    const waiting = conversations.find((c) => c.status === "awaiting_approval");
    expect(waiting).toBeDefined();
    const thread = await get(`/api/assistant/conversations/${waiting!.id}/state`);
    expect(thread.pending_tool_calls).toEqual([
      expect.objectContaining({ name: "create_todo", status: "pending_approval" }),
    ]);
    expect(thread.messages.some((m: { role: string }) => m.role === "assistant")).toBe(true);

    // Every declared record type (workers/protocol/declare.ts): a hand-written seed or its `sample` filled it.
    for (const r of Object.values(entities))
      if ("api" in r) expect((await get(r.api.path)).total, `demo ${r.entity}`).toBeGreaterThan(0);
    counts = await demoCounts(port, token);

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
    await stop(run);
  });

  it("adds nothing on a restart, even when every seed runs again", async () => {
    expect(counts, "the first run's counts").toBeDefined();
    // The seed marks gone: every seed runs again against the existing account and must find its records.
    rmSync(path.join(state, "seeded.json"));
    port = await freePort();
    const run = dev(port);
    await untilRunning(run);
    expect(run.output()).toMatch(
      /seeded the demo account: inbox, focus, library, references, todos, market, studio, assistant, declared/,
    );
    const { body: session } = await api(port, "POST", "/api/auth/login", undefined, {
      login: DEMO.username,
      password: DEMO.password,
    });
    expect(await demoCounts(port, session.token)).toEqual(counts);
    await stop(run);
  });
});
