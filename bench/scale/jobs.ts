/**
 * The hourly jobs at size: each job alone (bench/scale/jobs-runner.ts, the
 * Worker's own functions), its time, the rows it reports, the WAL it wrote
 * (pg_current_wal_lsn before/after; nothing else writes meanwhile but the
 * probe writer below, whose own WAL is subtracted at its measured rate) and
 * what it does to writers: a keyed write loop runs against the Worker during
 * the job, and its p99 is compared with the same loop just before.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { makeAgent, send, summarize, type Summary, type TestUser } from "../lib.ts";
import { ROOT, runNode, type Stack } from "../stack.ts";

/** change_log (windowed, as the cron runs it) first, then the full pass over what it left: before/after at size. */
export const JOBS = ["change_log", "change_log_full", "expired", "studio_counters", "history"] as const;

export interface JobRun {
  job: string;
  ms: number;
  counts: Record<string, number>;
  walBytes: number;
  /** The probe writer's latency before (alone) and during the job. */
  writerAlone: Summary;
  writerDuring: Summary;
  ok: boolean;
  error?: string;
}

/** Keyed inbox writes (what a client sends), sequential per slot, until `stop()`. */
function writer(stack: Stack, users: TestUser[], slots = 2) {
  const agent = makeAgent(slots);
  const latencies: number[] = [];
  const state = { running: true };
  const done = Promise.all(
    Array.from({ length: slots }, async (_, s) => {
      for (let i = 0; state.running; i++) {
        const u = users[(s + i * slots) % users.length]!;
        const res = await send(stack.baseUrl, agent, {
          method: "POST",
          path: "/api/user/inbox",
          headers: { authorization: `Bearer ${u.token}`, "idempotency-key": randomUUID() },
          body: { id: randomUUID(), title: `probe ${s}/${i}` },
        }).catch(() => null);
        if (res && res.status < 300) latencies.push(res.ms);
      }
    }),
  );
  return {
    latencies,
    async stop() {
      state.running = false;
      await done;
      agent.destroy();
    },
  };
}

const lsn = async (c: pg.Client) => String((await c.query("select pg_current_wal_lsn()::text as l")).rows[0].l);
const walSince = async (c: pg.Client, from: string) =>
  Number((await c.query("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::float8 as d", [from])).rows[0].d);

export async function runJobs(stack: Stack, users: TestUser[], log: (m: string) => void): Promise<JobRun[]> {
  const owner = new pg.Client({ connectionString: stack.db.url });
  await owner.connect();
  const out: JobRun[] = [];
  try {
    for (const job of JOBS) {
      await owner.query("checkpoint");
      // The writer alone for a few seconds: its latency and its own WAL rate.
      const alone = writer(stack, users);
      const w0 = await lsn(owner);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 4000));
      await alone.stop();
      const writerWalPerMs = (await walSince(owner, w0)) / (performance.now() - t0);

      await owner.query("checkpoint");
      const during = writer(stack, users);
      const l0 = await lsn(owner);
      const j0 = performance.now();
      const r = await runNode(
        [
          path.join(ROOT, "node_modules/tsx/dist/cli.mjs"),
          path.join(ROOT, "bench/scale/jobs-runner.ts"),
          job,
          stack.db.url,
          stack.db.directWsProxy,
          stack.db.sqlEndpoint,
        ],
        { timeoutMs: 30 * 60_000 },
      );
      const jobWall = performance.now() - j0;
      await during.stop();
      const wal = Math.max(0, (await walSince(owner, l0)) - writerWalPerMs * jobWall);
      const line = r.out.split("\n").find((l) => l.startsWith("{"));
      const parsed = line ? (JSON.parse(line) as { ms: number; counts: Record<string, number> }) : undefined;
      const run: JobRun = {
        job,
        ms: parsed?.ms ?? jobWall,
        counts: parsed?.counts ?? {},
        walBytes: wal,
        writerAlone: summarize(alone.latencies),
        writerDuring: summarize(during.latencies),
        ok: r.code === 0 && !!parsed,
        ...(r.code === 0 && parsed ? {} : { error: r.out.slice(-1500) }),
      };
      out.push(run);
      log(
        `job ${job}: ${(run.ms / 1000).toFixed(1)} s ${JSON.stringify(run.counts)} WAL ${(wal / 1048576).toFixed(1)} MB; writer p99 ${run.writerAlone.p99.toFixed(0)} → ${run.writerDuring.p99.toFixed(0)} ms${run.ok ? "" : " FAILED"}`,
      );
    }
  } finally {
    await owner.end();
  }
  return out;
}
