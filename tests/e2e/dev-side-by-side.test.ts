/**
 * Two checkouts' `npm run dev` side by side, each with its own embedded
 * Postgres (no DATABASE_URL): the second finds 54329 taken and takes another
 * port by itself; PG_PORT pins the port (a taken one is one plain line); and
 * `npm run clean` removes exactly this checkout's cluster, wherever it lives.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/local-db.ts";
import { ROOT } from "../../scripts/wrangler-dev.ts";
import { holdPort, scriptRunner, type ScriptRun } from "./app.ts";

const states = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), "continuum-side-by-side-")));
const scripts = scriptRunner();
const { stop } = scripts;

afterAll(async () => {
  await scripts.stopAll();
  for (const s of states) rmSync(s, { recursive: true, force: true });
});

/** A script as a checkout with no DATABASE_URL runs it (its own embedded Postgres). */
function run(script: string, env: Record<string, string>) {
  const { DATABASE_URL: _drop, ...rest } = process.env;
  return scripts.run(script, { ...rest, ...env });
}

const ready = (r: ScriptRun) =>
  expect
    .poll(() => r.output() + (r.child.exitCode === null ? "" : "\n(exited)"), { timeout: 300_000, interval: 500 })
    .toMatch(/Continuum is running at http:\/\/localhost:(\d+)|\(exited\)/);

const pgOf = (out: string) => {
  const m = out.match(/embedded Postgres on port (\d+) \(data in ([^)]+)\)/);
  if (!m) throw new Error(`no Postgres line in:\n${out}`);
  return { port: Number(m[1]), dataDir: path.resolve(ROOT, m[2]!) };
};

describe("two checkouts run npm run dev side by side", () => {
  it("a taken PG_PORT is one plain line and exit 1", async () => {
    const { holder, port } = await holdPort();
    try {
      const r = run("scripts/dev.ts", {
        DEV_STATE_DIR: states[0]!,
        PORT: String(await freePort()),
        PG_PORT: String(port),
      });
      expect(await r.exited).toBe(1);
      expect(r.output()).toContain(`port ${port}`);
      expect(r.output()).toContain("set PG_PORT to another port");
      expect(r.output()).not.toMatch(/^\s+at /m);
    } finally {
      holder.close();
    }
  });

  it("both serve, on different Postgres ports; clean removes one checkout's database only", async () => {
    const a = run("scripts/dev.ts", { DEV_STATE_DIR: states[0]!, PORT: String(await freePort()) });
    await ready(a);
    const b = run("scripts/dev.ts", { DEV_STATE_DIR: states[1]!, PORT: String(await freePort()) });
    await ready(b);
    const [pa, pb] = [pgOf(a.output()), pgOf(b.output())];
    expect(pa.port).not.toBe(pb.port);
    expect(pa.dataDir).not.toBe(pb.dataDir);
    for (const r of [a, b]) {
      const url = r.output().match(/Continuum is running at (http:\/\/localhost:\d+)/)![1]!;
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
    }

    // clean refuses while dev runs, then removes that checkout's cluster and nothing else.
    const busy = run("scripts/clean.ts", { DEV_STATE_DIR: states[0]! });
    expect(await busy.exited).toBe(1);
    expect(busy.output()).toContain("is running in this checkout");
    expect(existsSync(pa.dataDir)).toBe(true);

    await stop(a.child);
    const clean = run("scripts/clean.ts", { DEV_STATE_DIR: states[0]! });
    expect(await clean.exited).toBe(0);
    expect(clean.output()).toContain(`removed ${pa.dataDir}`);
    expect(existsSync(pa.dataDir)).toBe(false);
    expect(existsSync(pb.dataDir)).toBe(true);
    const again = run("scripts/clean.ts", { DEV_STATE_DIR: states[0]! });
    expect(await again.exited).toBe(0);
    expect(again.output()).toContain("nothing to remove");

    await stop(b.child);
    expect(await run("scripts/clean.ts", { DEV_STATE_DIR: states[1]! }).exited).toBe(0);
    expect(existsSync(pb.dataDir)).toBe(false);
  });
});
