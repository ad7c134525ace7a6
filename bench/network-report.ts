/**
 * Renders the simulated-network table (bench/network.ts) and checks the edge
 * latency targets of issue #10 / SPEC §1 at the largest RTT measured.
 */
import { NETWORK_SAMPLES } from "./config.ts";
import { fmt } from "./lib.ts";
import type { NetworkRow, NetworkRun } from "./network.ts";

export const pass = (ok: boolean | undefined) => (ok === undefined ? "n/a" : ok ? "✅ pass" : "❌ miss");

export function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? "").padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** Allowance over one RTT, per kind of request (issue #10). */
const ALLOWANCE: Partial<Record<NetworkRow["kind"], number>> = { read: 15, write: 25, poll: 10 };

const pingOf = (run: NetworkRun) => run.rows.find((r) => r.kind === "baseline")?.s.p50 ?? NaN;
const trips = (run: NetworkRun, row: NetworkRow) => (run.rtt > 0 ? (row.s.p50 - pingOf(run)) / run.rtt : NaN);

function targetOf(run: NetworkRun, row: NetworkRow): { text: string; ok?: boolean } {
  if (run.rtt === 0) return { text: "—" };
  const allowance = ALLOWANCE[row.kind];
  if (allowance !== undefined) {
    const bound = run.rtt + allowance;
    return { text: `≤ ${bound} ms: ${pass(row.s.p50 <= bound)}`, ok: row.s.p50 <= bound };
  }
  if (row.kind === "fanout" && row.route.startsWith("change")) {
    const write = run.rows.find((r) => r.kind === "fanout" && r !== row)!;
    const bound = write.s.p50 + 30;
    return { text: `≤ write + 30 = ${fmt(bound, 0)} ms: ${pass(row.s.p50 <= bound)}`, ok: row.s.p50 <= bound };
  }
  return { text: "—" };
}

export interface NetworkVerdict {
  name: string;
  ok?: boolean;
  detail: string;
}

/** The summary lines for the Targets table. */
export function networkTargets(runs: NetworkRun[]): NetworkVerdict[] {
  const run = runs.filter((r) => r.rtt > 0).at(-1);
  if (!run) return [];
  const misses = run.rows.filter((row) => targetOf(run, row).ok === false);
  const hot = run.rows.filter((r) => r.kind === "read" || r.kind === "write" || r.kind === "poll");
  const handshakes = hot.filter((r) => r.connections >= 0.5);
  return [
    {
      name: `At ${run.rtt} ms RTT: read ≤ RTT + 15, keyed write ≤ RTT + 25, 304 ≤ RTT + 10, fan-out ≤ write + 30 (p50)`,
      ok: misses.length === 0,
      detail: misses.length ? `over: ${misses.map((r) => `${r.route} ${fmt(r.s.p50)} ms`).join("; ")}` : "all met",
    },
    {
      name: "No database connection handshake on the hot path (reads, keyed writes, polls)",
      ok: handshakes.length === 0,
      detail: handshakes.length
        ? handshakes.map((r) => `${r.route}: ${r.connections.toFixed(2)}/request`).join("; ")
        : `≤ ${Math.max(...hot.map((r) => r.connections)).toFixed(2)} new connections per request`,
    },
  ];
}

export function renderNetwork(runs: NetworkRun[]): string {
  if (runs.length === 0) return "_Not measured in this run._";
  const routes = runs[0]!.rows.map((r) => r.route);
  const head = ["Route"];
  for (const run of runs) head.push(`p50 @${run.rtt}`, `p99 @${run.rtt}`);
  const last = runs.at(-1)!;
  const first = runs[0]!;
  const delta = runs.length > 1 && first.rtt === 0;
  head.push(`Round trips @${last.rtt}`);
  if (delta) head.push(`Added by the network ÷ RTT`);
  head.push("Queries", `New DB conn./req @${last.rtt}`, `Target @${last.rtt}`);
  const rows = routes.map((route) => {
    const cells = [route];
    for (const run of runs) {
      const row = run.rows.find((r) => r.route === route);
      cells.push(row ? fmt(row.s.p50) : "n/a", row ? fmt(row.s.p99) : "n/a");
    }
    const row = last.rows.find((r) => r.route === route)!;
    cells.push(row.kind === "baseline" ? "0 (baseline)" : fmt(trips(last, row)));
    if (delta) {
      const base = first.rows.find((r) => r.route === route);
      cells.push(base ? fmt((row.s.p50 - base.s.p50) / last.rtt) : "n/a");
    }
    cells.push(row.queries, row.connections.toFixed(2), targetOf(last, row).text);
    return cells;
  });
  return `Sequential requests (c = 1), p50/p99 in ms over ${NETWORK_SAMPLES} requests after 2 unrecorded ones, each RTT on a stack of its own. **Round trips** = (p50 − p50 of \`GET /api/ping\`) ÷ RTT; **added by the network** = (p50 at that RTT − p50 at 0) ÷ RTT, which leaves out the local CPU time a busy machine adds to every request. **Queries** = \`X-Db-Queries\` (database round trips the Worker counted: an HTTP request, batch or not, is one; a WebSocket query is one). **New DB conn./req** = TCP connections the stand-in for Neon's proxy accepted during the samples ÷ samples (each pays TCP + TLS on a real network, a WebSocket one also the upgrade and the Postgres startup). The network model is in docs/SCALING.md.

${table(head, rows)}`;
}
