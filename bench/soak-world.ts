/**
 * The soak's shared world: options, the seeded PRNG that makes the action
 * schedule reproducible, the counters and violations the run reports, and the
 * record model the devices build from the change feed.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Req, Res, TestUser } from "./lib.ts";
import type { Stack } from "./stack.ts";

// ---- options ------------------------------------------------------------------------
const { values: opt } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    users: { type: "string", default: "4" },
    devices: { type: "string", default: "3" },
    seed: { type: "string" },
    restarts: { type: "string", default: "1" },
    "down-ms": { type: "string", default: "3000" },
    "drain-seconds": { type: "string", default: "100" },
    assistant: { type: "string" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  process.stdout.write(`npm run soak -- [options]
  --seconds N        mutation phase length (default 20)
  --users N          users (default 4; the first 8 sign up through the API, more are seeded in SQL)
  --devices N        devices per user (default 3; the last device of each user polls, the others hold a socket)
  --seed N           PRNG seed for the action schedule (default: random, printed)
  --restarts N       Postgres restarts during the run (default 1)
  --down-ms N        how long Postgres stays down each time (default 3000)
  --drain-seconds N  upper bound for draining outboxes at the end (default 100; an ambiguous commit can
                     hold its Idempotency-Key "in progress" for 60 s)
  --assistant on|off assistant actions beside the devices (default on, short runs too)
  --verbose          log every fault as it happens
`);
  process.exit(0);
}
export const SECONDS = Math.max(5, Number(opt.seconds));
export const USERS = Math.max(2, Number(opt.users));
export const DEVICES = Math.max(2, Number(opt.devices));
export const SEED = opt.seed !== undefined ? Number(opt.seed) : Math.floor(Math.random() * 2 ** 31);
export const RESTARTS = Math.max(0, Number(opt.restarts));
export const DOWN_MS = Math.max(500, Number(opt["down-ms"]));
export const DRAIN_MS = Math.max(10, Number(opt["drain-seconds"])) * 1000;
export const VERBOSE = opt.verbose;
export const ASSISTANT = opt.assistant !== "off";
export const HARD_LIMIT_MS = (SECONDS + DRAIN_MS / 1000 + 240) * 1000;

export const t0 = Date.now();
export const log = (m: string) => process.stderr.write(`[soak +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
export const vlog = (m: string) => VERBOSE && log(m);
setTimeout(() => {
  log("hard time limit reached; aborting");
  process.kill(process.pid, "SIGTERM");
}, HARD_LIMIT_MS).unref();

// ---- deterministic randomness (timing is still real) ---------------------------------
let rngState = SEED >>> 0;
export function rand(): number {
  // mulberry32
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
export const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
export const chance = (p: number) => rand() < p;
export const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[Math.floor(rand() * xs.length)] : undefined);

// ---- counters and violations ---------------------------------------------------------
export const counts = {
  mutations: 0,
  acknowledged: 0,
  rejected4xx: 0,
  conflicts: 0,
  notFound: 0,
  idConflicts: 0,
  retries: 0,
  s503: 0,
  inProgress409: 0,
  networkErrors: 0,
  lostResponses: 0,
  replaysVerified: 0,
  duplicateRetries: 0,
  concurrentDuplicates: 0,
  reconnects: 0,
  socketDrops: 0,
  offlinePeriods: 0,
  socketMessages: 0,
  socketGaps: 0,
  pulls: 0,
  polls304: 0,
  cursorExpired: 0,
  dbRestarts: 0,
  /** Idempotency claims left "in progress" by requests that died with the database (seen right after restart). */
  orphanedClaims: 0,
  s500: 0,
  marketRefusals: 0,
  /** bench/soak-storm.ts: like toggles answered 200, 429s waited out, 413s from the quota race. */
  stormToggles: 0,
  stormRateLimited: 0,
  stormQuotaHits: 0,
  /** Entries for the storm's loop in its owner's change log at the end (collapsed: 1). */
  stormOwnerLogEntries: 0,
  /** bench/soak-studio.ts: remixes of the storm loop, assistant messages answered, approvals, todos the tools made. */
  studioRemixes: 0,
  assistantMessages: 0,
  assistantApprovals: 0,
  assistantTodos: 0,
  /** bench/soak-actions.ts: undos and restores (from the trash) of inbox items, racing edits on other devices. */
  undos: 0,
  restores: 0,
  undoRefusals: 0,
  /** bench/soak-studio.ts: executed tool calls undone (200) or refused because the todo was edited since (409). */
  toolCallUndos: 0,
  toolCallUndoConflicts: 0,
};
export const violations: string[] = [];
export const violate = (m: string) => {
  if (violations.length < 200) violations.push(m);
  log(`VIOLATION: ${m}`);
};

// ---- 500s and the Worker's log ---------------------------------------------------------
/** The Worker's whole log (wrangler/workerd output) for this run: bench/stack.ts writes it, kept after the run. */
export const WORKER_LOG = path.join(tmpdir(), `continuum-soak-${SEED}-worker.log`);
/** Every 500: what was asked, and the request id its body names (looked up in WORKER_LOG at the end). */
const serverErrors: { what: string; requestId: string | undefined }[] = [];
export function saw500(what: string, body: string): void {
  counts.s500++;
  const requestId = /"request_id"\s*:\s*"([^"]+)"/.exec(body)?.[1];
  serverErrors.push({ what, requestId });
  violate(`500 from ${what}${requestId ? ` (request ${requestId})` : ""}: ${body.slice(0, 200)}`);
}
/** Each 500 with the Worker's log line for it (route, error names, SQLSTATE, stack frames, messages). */
export function report500s(): string {
  if (serverErrors.length === 0) return "";
  let lines: string[] = [];
  try {
    lines = readFileSync(WORKER_LOG, "utf8").split("\n");
  } catch {
    // no log: said below
  }
  const out = serverErrors.map(({ what, requestId }) => {
    const logged = requestId ? lines.filter((l) => l.includes(requestId)) : [];
    const detail = logged.length
      ? logged.map((l) => `      ${l.trim().slice(0, 2000)}`).join("\n")
      : "      (no log line)";
    return `  - ${what} (request ${requestId ?? "?"})\n${detail}`;
  });
  return `\n500s, with the Worker's log line for each (${WORKER_LOG}):\n${out.join("\n")}\n`;
}

// ---- model -------------------------------------------------------------------------
export type Wire = Record<string, unknown> & { id: string; version: number };
export interface Change {
  cursor: string;
  entity: string;
  id: string;
  op: "upsert" | "delete";
  version: number;
  data: Wire | null;
}

export interface Mutation {
  key: string;
  enqueuedAt: number;
  kind: "create" | "update" | "delete" | "settings" | "market" | "undo" | "restore";
  req: Req;
  recordId?: string;
  attempts: number;
  /** A deliberately dropped response, to compare with the replay. */
  lost?: Res;
}

export interface Ack {
  user: number;
  kind: Mutation["kind"];
  id: string;
  status: number;
  cursor?: string;
  version?: number;
}
export const acks: Ack[] = [];
/** Enqueue → settled (acknowledged or rejected), ms: how long a mutation waited, retries and outages included. */
export const settleTimes: number[] = [];

/** One soak user and its devices (`D`: soak-client.ts's Device, kept generic so this module imports none of it). */
export interface UserCtx<D = unknown> {
  idx: number;
  user: TestUser;
  /** Every id any of this user's devices created (client-generated), plus the settings id. */
  ids: Set<string>;
  settingsId?: string;
  devices: D[];
}

export const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;
export const canon = (v: unknown) => JSON.stringify(sortKeys(v));

/** What the run shares with the devices: the stack, and whether Postgres is down right now. */
export const world = { stack: undefined as unknown as Stack, dbDown: false };
export const phase = { running: true }; // the mutation phase
