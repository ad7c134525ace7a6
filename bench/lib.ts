/**
 * Shared pieces of the bench and the soak: a small keep-alive HTTP client and
 * bounded closed-loop load generator (node:http, no dependencies), percentile
 * maths, test-user provisioning and the Node-side Neon driver set-up.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { Pool, neonConfig } from "@neondatabase/serverless";
import ws from "ws";

// ---- stats -------------------------------------------------------------------
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
    mean,
  };
}

export const fmt = (ms: number, digits = 1) => (Number.isFinite(ms) ? ms.toFixed(digits) : "n/a");
export const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : "n/a";

// ---- HTTP --------------------------------------------------------------------
export interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): any;
  ms: number;
}

export class HttpError extends Error {}

export function makeAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** One request over a keep-alive agent; rejects on network errors and timeouts. */
export function send(baseUrl: string, agent: http.Agent, req: Req, timeoutMs = 15_000): Promise<Res> {
  const url = new URL(req.path, baseUrl);
  if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") throw new Error("loopback targets only");
  const payload =
    req.body === undefined
      ? undefined
      : typeof req.body === "string" || req.body instanceof Uint8Array
        ? req.body
        : JSON.stringify(req.body);
  const headers: Record<string, string> = { ...req.headers };
  if (payload !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const r = http.request(url, { method: req.method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text),
          ms: performance.now() - t0,
        });
      });
      res.on("error", reject);
    });
    r.on("timeout", () => r.destroy(new HttpError(`timeout after ${timeoutMs} ms: ${req.method} ${req.path}`)));
    r.on("error", reject);
    r.end(payload);
  });
}

export interface LoadResult {
  latencies: number[];
  statuses: Record<string, number>;
  /** X-Db-Queries values seen → count. */
  queries: Record<string, number>;
  errors: number;
  seconds: number;
  rps: number;
}

/**
 * Closed-loop load: `conc` workers each send, wait, send again until the
 * deadline (plus a warm-up that is not recorded). Bounded in time.
 */
export async function load(opts: {
  baseUrl: string;
  conc: number;
  warmupMs: number;
  durationMs: number;
  make: (slot: number, i: number) => Req;
  expect?: (status: number) => boolean;
}): Promise<LoadResult> {
  const agent = makeAgent(opts.conc);
  const result: LoadResult = {
    latencies: [],
    statuses: {},
    queries: {},
    errors: 0,
    seconds: opts.durationMs / 1000,
    rps: 0,
  };
  const warmEnd = performance.now() + opts.warmupMs;
  const end = warmEnd + opts.durationMs;
  // Completions inside [warmEnd, end] are recorded (so slow requests at high
  // concurrency still count); requests in flight at `end` finish unrecorded.
  const inWindow = (t: number) => t >= warmEnd && t <= end;
  const worker = async (slot: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const req = opts.make(slot, i);
      try {
        const res = await send(opts.baseUrl, agent, req);
        if (!inWindow(performance.now())) continue;
        result.latencies.push(res.ms);
        result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        const q = String(res.headers["x-db-queries"] ?? "-");
        result.queries[q] = (result.queries[q] ?? 0) + 1;
      } catch {
        if (inWindow(performance.now())) result.errors++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.conc }, (_, s) => worker(s)));
  agent.destroy();
  result.rps = result.latencies.length / result.seconds;
  return result;
}

/** The most common X-Db-Queries value (and the range if it varied). */
export function queriesLabel(q: Record<string, number>): string {
  const entries = Object.entries(q).filter(([k]) => k !== "-");
  if (entries.length === 0) return "—";
  const nums = entries.map(([k]) => Number(k));
  const mode = entries.sort((a, b) => b[1] - a[1])[0]![0];
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  return min === max ? mode : `${mode} (${min}–${max})`;
}

// ---- the Neon driver from Node, through the same relay --------------------------
export function configureNodeDriver(wsProxy: string): void {
  // The same settings db/client.ts applies inside workerd (LOCAL_WS_PROXY).
  neonConfig.webSocketConstructor = ws;
  neonConfig.wsProxy = (host, port) => `${wsProxy}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
}

export function nodePool(url: string, max = 1): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => {});
  return pool;
}

// ---- users -----------------------------------------------------------------------
export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/**
 * Creates users with a session each directly in Postgres (the same rows
 * signup + login write, minus the PBKDF2 work and the per-IP signup rate
 * limit).
 */
export async function seedUsers(dbUrl: string, wsProxy: string, n: number, prefix: string): Promise<TestUser[]> {
  configureNodeDriver(wsProxy);
  const pool = nodePool(dbUrl);
  const users: TestUser[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const username = `${prefix}_${i}_${randomBytes(3).toString("hex")}`.toLowerCase().slice(0, 32);
      const token = `${id}.${randomBytes(32).toString("base64url")}`; // as createSession makes them
      const tokenHash = createHash("sha256").update(token).digest("hex");
      // Same rows as signup: user, default settings, wallet and welcome grant (+ their change-log
      // entries), a session. Seeded users also get a large "adjust" grant so purchase benches measure
      // purchases, not insufficient_funds; the ledger still sums to the balance.
      await pool.query(
        `with u as (
           insert into users (id, email, username, password_hash, change_seq)
           values ($1, $2, $3, 'pbkdf2-sha256$1$00$00', 4) returning id),
         w as (
           insert into user_wallet (id, user_id, balance, lifetime_earned)
           select gen_random_uuid(), id, 1000100, 100 from u returning *),
         t as (
           insert into market_transactions (id, user_id, amount, balance_after, kind, source_type, source_id, description, created_at)
           select gen_random_uuid(), id, 100, 100, 'earn', 'welcome', id, 'Welcome to the market', now() - interval '1 second' from u
           union all
           select gen_random_uuid(), id, 1000000, 1000100, 'adjust', 'adjust', gen_random_uuid(), 'Seed grant', now() from u
           returning *),
         lw as (
           insert into change_log (user_id, seq, entity, record_id, op, version, data)
           select user_id, 2, 'wallet', id, 'upsert', 1, to_jsonb(w) from w),
         lt as (
           insert into change_log (user_id, seq, entity, record_id, op, version, data)
           select user_id, case when kind = 'earn' then 3 else 4 end, 'market_transaction', id, 'upsert', 1, to_jsonb(t)
           from t),
         s as (
           insert into settings (id, user_id, theme, accessibility, ui, sync)
           select gen_random_uuid(), id, 'system', '{"reduced_motion":false,"high_contrast":false,"font_scale":1}',
                  '{}', '{"mode":"auto","poll_interval_s":30}' from u
           returning *),
         l as (
           insert into change_log (user_id, seq, entity, record_id, op, version, data)
           select user_id, 1, 'settings', id, 'upsert', 1,
                  jsonb_build_object('id', id, 'version', version,
                    'created_at', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'updated_at', to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'theme', theme, 'accessibility', accessibility, 'ui', ui, 'sync', sync)
           from s)
         insert into sessions (user_id, token_hash, user_agent, expires_at)
         select id, $4, 'continuum-bench', now() + interval '30 days' from u`,
        [id, `${username}@bench.local`, username, tokenHash],
      );
      users.push({ id, username, token });
    }
  } finally {
    await pool.end().catch(() => {});
  }
  return users;
}

/** Signs up through the API (the real path, PBKDF2 and all). */
export async function signupUser(baseUrl: string, agent: http.Agent, username: string): Promise<TestUser> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const res = await send(baseUrl, agent, {
      method: "POST",
      path: "/api/auth/signup",
      body: { email: `${username}@soak.local`, username, password: "soak-password-123" },
    }).catch(() => null);
    if (res?.status === 201) {
      const b = res.json();
      return { id: b.user.id, username, token: b.token };
    }
    if (res && res.status !== 503 && res.status !== 429)
      throw new Error(`signup ${username}: ${res.status} ${res.text}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`signup ${username}: gave up`);
}
