/**
 * CPU profiles for `npm run bench -- --big` with BIG_PROFILE=1: each phase of
 * the browser bench (new device, scroll, edit, search, warm start) runs under
 * Chromium's sampling profiler (CDP), and the functions with the most self
 * time are printed, so a regression points at its cause. The web app is then
 * built without minification (bench/sizes.ts) so the names are readable;
 * figures from a profiled run are not the ones to record.
 */
import type { CDPSession } from "playwright-core";
import { log } from "./config.ts";
import { fmt } from "./lib.ts";

export const PROFILE = process.env.BIG_PROFILE === "1";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Starts the profiler (when BIG_PROFILE=1); the returned function stops it and logs the top self times. */
export async function profilePhase(cdp: CDPSession, phase: string, top = 15): Promise<() => Promise<void>> {
  if (!PROFILE) return async () => {};
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  return async () => {
    const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: Profile };
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let total = 0;
    for (let i = 0; i < samples.length; i++) {
      const n = byId.get(samples[i]!);
      const dt = (deltas[i + 1] ?? 0) / 1000;
      if (!n) continue;
      const f = n.callFrame;
      const file = f.url ? f.url.split("/").pop() : "";
      const k = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
      self.set(k, (self.get(k) ?? 0) + dt);
      if (f.functionName !== "(idle)" && f.functionName !== "(program)") total += dt;
    }
    const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
    log(`  profile ${phase}: ${fmt(total)} ms busy`);
    for (const [k, ms] of rows) log(`    ${fmt(ms).padStart(8)} ms  ${k}`);
  };
}
