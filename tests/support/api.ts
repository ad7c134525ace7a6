/**
 * Test client for the Worker running in workerd: requests go through the
 * Worker's real fetch handler (`exports.default`), with real bindings.
 */
import { exports } from "cloudflare:workers";
import { checkResponse } from "./contract";

export const BASE = "http://localhost";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  res: Response;
}

export async function call<T = any>(
  method: string,
  path: string,
  opts: { token?: string | undefined; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body: body ?? null }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  await checkResponse(method, path, res, parsed);
  return { status: res.status, headers: res.headers, body: parsed as T, res };
}

let counter = 0;
export const unique = (prefix = "u") =>
  `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export interface TestUser {
  id: string;
  email: string;
  username: string;
  password: string;
  token: string;
}

export async function signup(): Promise<TestUser> {
  const username = unique("u").toLowerCase().slice(0, 30);
  const email = `${username}@example.test`;
  const password = "correct horse battery";
  // Each test user signs up from its own address: signup is rate limited per IP.
  const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
  const r = await call("POST", "/api/auth/signup", {
    json: { email, username, password },
    headers: { "cf-connecting-ip": ip },
  });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.user.id, email, username, password, token: r.body.token };
}

/** Authenticated helpers bound to one user. */
export const as = (u: { token: string }) => ({
  get: <T = any>(path: string, headers?: Record<string, string>) =>
    call<T>("GET", path, { token: u.token, headers: headers ?? {} }),
  post: <T = any>(path: string, json?: unknown, headers?: Record<string, string>) =>
    call<T>("POST", path, { token: u.token, json, headers: headers ?? {} }),
  put: <T = any>(path: string, json?: unknown, headers?: Record<string, string>) =>
    call<T>("PUT", path, { token: u.token, json, headers: headers ?? {} }),
  del: <T = any>(path: string, headers?: Record<string, string>) =>
    call<T>("DELETE", path, { token: u.token, headers: headers ?? {} }),
});

/**
 * The rate limiters' 60 s windows are aligned to the wall clock (in production
 * and in miniflare): start a burst of attempts only with `needMs` left in the
 * current window, so a roll-over mid-burst can't reset the count.
 */
export async function freshRateLimitWindow(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** What a fresh account's change feed holds: its settings, its wallet and the welcome grant. */
/** The newest entry of `entity` in the user's change feed (from the start). */
export const lastChangeOf = async (u: { token: string }, entity: string) =>
  ((await as(u).get("/api/sync/changes")).body.changes as any[]).filter((c) => c.entity === entity).at(-1);

export const SIGNUP_ENTITIES = ["settings", "wallet", "market_transaction"];
