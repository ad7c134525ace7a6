/**
 * The "Cost as data grows" section of docs/BENCHMARKS.md from one scale run
 * (bench/scale/bench.ts). Written to bench/scale/results.md (bench/report.ts
 * includes it in every full bench's BENCHMARKS.md) and spliced into
 * docs/BENCHMARKS.md at once.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fmt } from "../lib.ts";
import type { ScaleRun } from "./bench.ts";
import { renderSizes } from "./sizes.ts";
import { SMALL_TABLE_PAGES } from "./plans.ts";

export const SECTION = "## Cost as data grows";
const TARGET_RATIO = 1.2;
const mb = (b: number) => (b / 1048576).toFixed(1);
const s = (ms: number) => (ms / 1000).toFixed(1);

export function renderScale(run: ScaleRun, date: string): string {
  const log = run.sizes.find((t) => t.table === "change_log");
  const routeRows = run.routes.map((r) => {
    const ratio = r.large.p50 / r.empty.p50;
    // No response inside the cell's time on one side: no ratio, and a miss.
    const cell = Number.isFinite(ratio)
      ? `${ratio.toFixed(2)}× ${ratio <= TARGET_RATIO ? "✅" : "❌"}`
      : "no response in the cell ❌";
    return `| ${r.route} | ${fmt(r.empty.p50)} | ${fmt(r.large.p50)} | ${cell} | ${r.big ? fmt(r.big.p50) : "—"} |`;
  });
  const jobRows = run.jobs.map(
    (j) =>
      `| ${j.job} | ${s(j.ms)} | ${Object.entries(j.counts)
        .map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`)
        .join(
          ", ",
        )} | ${mb(j.walBytes)} | ${fmt(j.writerAlone.p99, 0)} → ${fmt(j.writerDuring.p99, 0)} | ${j.ok ? "ok" : "FAILED"} |`,
  );
  const scans = run.plans.seqScans.length
    ? run.plans.seqScans.map((x) => `- **${x.tables.join(", ")}**: \`${x.query.slice(0, 240)}\``).join("\n")
    : "None.";
  return `${SECTION} (\`npm run bench -- --scale ${run.profile}\`)

Measured ${date} on one stack in one run: the hot routes on a nearly empty database (16 bench users, 50 inbox items each), then the data generator (bench/scale/generate.ts, profile \`${run.profile}\`) fills the database, then the same routes for the same users again. p50 of ${"≈"}4 s of sequential requests (c = 1) per route. Target: large ≤ ${TARGET_RATIO}× empty. Load average ${run.load.start.map((x) => x.toFixed(1)).join(" / ")} at the start, ${run.load.end.map((x) => x.toFixed(1)).join(" / ")} at the end (2 shared cores).

**Fill**: ${run.fill.users.toLocaleString("en-US")} users, ${log ? log.rows.toLocaleString("en-US") : "?"} change-log rows, in ${s(run.fill.ms)} s; the database takes ${mb(run.databaseBytes)} MB. Per step: ${Object.entries(
    run.fill.steps,
  )
    .map(([k, v]) => `${k} ${s(v)} s`)
    .join(", ")}.

${renderSizes(run.sizes)}

**Hot routes, p50 in ms** (the big account: ${run.fill.big ? "50 000 inbox items, 10 000 references, …; reads only — it is over the inbox quota" : "none"}):

| route | empty | large | large ÷ empty | big account |
| --- | ---: | ---: | ---: | ---: |
${routeRows.join("\n")}

**Plans**: auto_explain (JSON, nested statements included) logged the plan of every statement those routes ran on the large database — ${run.plans.statements} plans. Sequential scans of a growing table (the bench fails on any):

${scans}

Sequential scans of a growing table that is still under ${SMALL_TABLE_PAGES} heap pages (1 MB) at this profile — the planner's rightful choice at this size (one pass beats an index path's random reads), not failed; tests/worker/scale.test.ts checks in CI that each has an index path, and at the large profile these tables are far above the threshold:

${
  run.plans.smallSeqScans.length
    ? run.plans.smallSeqScans.map((x) => `- ${x.tables.join(", ")}: \`${x.query.slice(0, 160)}\``).join("\n")
    : "None."
}

Index scans with no index condition (the index read in order under a LIMIT; bounded only if the LIMIT is met early — reported, not failed):

${
  run.plans.unboundedIndexScans.length
    ? run.plans.unboundedIndexScans.map((x) => `- ${x.tables.join(", ")}: \`${x.query.slice(0, 200)}\``).join("\n")
    : "None."
}

**Hourly jobs at this size** (each alone, after a checkpoint; WAL from \`pg_current_wal_lsn()\`, the probe writer's own WAL subtracted; writer = keyed inbox writes at c = 2 against the Worker, p99 ms alone → during the job):

| job | time (s) | rows | WAL (MB) | writer p99 | |
| --- | ---: | --- | ---: | ---: | --- |
${jobRows.join("\n")}

**A device back after 30 days (SPEC §4, server half)**: the big account's cursor 1 (older than the retention) → **${run.reset.status410}**; the recovery today's web client runs — the \`/api/sync/snapshot\` walk (newest first, pages of ≤ 5000) and \`/changes\` from its head: ${run.reset.changes.toLocaleString("en-US")} entries in ${run.reset.pages} pages, ${mb(run.reset.bytes)} MB of JSON (uncompressed), **${s(run.reset.ms)} s** server-side (sequential pages, no network latency). A pull of \`/changes\` from the start with the walk token (what a client without the snapshot does, pages of 1000): ${run.reset.fromStart.status === 200 ? `**completes**: ${run.reset.fromStart.changes.toLocaleString("en-US")} entries in ${run.reset.fromStart.pages} pages, ${s(run.reset.fromStart.ms)} s` : `**${run.reset.fromStart.status} after ${run.reset.fromStart.pages} page(s)**`}; its second page asked without the token (a client from before it): ${run.reset.fromStart.oldClientStatus || "not asked (one page)"}${run.reset.fromStart.oldClientStatus === 410 ? " — the user's floor is above the first page's cursor, so the cursor alone is indistinguishable from a stale one" : ""}.
`;
}

/** Writes bench/scale/results.md and replaces (or adds) the section in docs/BENCHMARKS.md. */
export function writeScale(root: string, md: string): void {
  writeFileSync(path.join(root, "bench/scale/results.md"), md);
  const doc = path.join(root, "docs/BENCHMARKS.md");
  const text = readFileSync(doc, "utf8");
  const start = text.indexOf(SECTION);
  if (start >= 0) {
    const next = text.indexOf("\n## ", start + SECTION.length);
    writeFileSync(doc, text.slice(0, start) + md.trim() + "\n" + (next >= 0 ? text.slice(next) : ""));
  } else {
    const at = text.indexOf("\n## How to run");
    writeFileSync(
      doc,
      at >= 0 ? `${text.slice(0, at)}\n${md.trim()}\n${text.slice(at)}` : `${text.trimEnd()}\n\n${md.trim()}\n`,
    );
  }
}

/** For bench/report.ts: the last scale run's section, if one was recorded. */
export function scaleSection(root: string): string {
  const f = path.join(root, "bench/scale/results.md");
  return existsSync(f) ? readFileSync(f, "utf8").trim() : "";
}
