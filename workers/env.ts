import type { Db, DbHandle } from "../db/client";

/** Bindings not declared in wrangler.toml (secrets and local-only vars). */
interface SecretEnv {
  /** Secret in production (`wrangler secret put DATABASE_URL`). */
  DATABASE_URL: string;
  /** Local runtime only: the WebSocket-to-TCP relay for the Neon driver. */
  LOCAL_WS_PROXY?: string;
  /** Local runtime only: the stand-in for Neon's SQL-over-HTTP endpoint (db/client.ts). */
  LOCAL_SQL_ENDPOINT?: string;
  /** Assistant model (workers/assistant/model.ts): `rules` (default) | `workers-ai` | `openai-compatible`. */
  ASSISTANT_PROVIDER?: string;
  ASSISTANT_MODEL?: string;
  ASSISTANT_BASE_URL?: string;
  /** Secret: the OpenAI-compatible API's key. */
  ASSISTANT_API_KEY?: string;
  /** Seconds a run may hold a conversation (default 90). */
  ASSISTANT_LEASE_SECONDS?: string;
  /** Workers AI: bound only in the generated deploy configuration (scripts/deploy-config.ts). */
  AI?: Ai;
  /** Local runtime only: "login:password" of the seeded demo account (GET /api/demo). */
  DEMO_LOGIN?: string;
  /** Throw-away local stacks only (the soak): "1" adds error messages to the 500 log line (errors.ts). */
  LOG_ERROR_MESSAGES?: string;
}

declare global {
  namespace Cloudflare {
    interface Env extends SecretEnv {}
  }
  interface Env extends SecretEnv {}
}

export interface AuthUser {
  id: string;
  email: string;
  username: string;
  createdAt: Date;
  /** The user's current sync cursor, read with the session (saves a query). */
  changeSeq: number;
  changeFloor: number;
}

/**
 * Idempotency-Key (middleware/idempotency.ts, the whole concept): a
 * mutation's key and the fingerprint of its request.
 */
export interface IdempotencyRequest {
  key: string;
  requestHash: string;
}

/**
 * What a request's writes committed, recorded on its key by each write
 * statement: the last row written, its cursor, and the last row of each
 * entity (what a route's `rebuild` answers from).
 */
export interface IdempotencyOutcome {
  entity: string;
  row: Record<string, unknown>;
  cursor: string;
  rows?: Record<string, Record<string, unknown>>;
}

/**
 * The request's claimed key as the write path sees it (a `WriteScope`'s
 * `idempotency`): each write statement embeds `outcome()`, and the one-call
 * database functions take `key` (continuum_log() records the same outcome).
 */
export interface KeyClaim {
  key: string;
  /** The CTE recording the outcome of a statement whose logged rows are `numbered` (sync/write.ts). */
  outcome(userId: string, entity: string): import("drizzle-orm").SQL;
}

/** A route's own answer rebuilt from its committed outcome (see route({ rebuild })). */
export type Rebuild = (c: import("hono").Context<AppEnv>, outcome: IdempotencyOutcome) => Promise<Response>;

/** What the session check found for the key: claimed now, or an earlier use. */
export interface IdempotencyState {
  claimed: boolean;
  prior: {
    requestHash: string;
    status: number | null;
    headers: Record<string, string> | null;
    body: string | null;
    /** What the earlier request's write committed (idempotency_keys.outcome). */
    outcome: IdempotencyOutcome | null;
    ageMs: number;
  } | null;
}

/** What every /api request carries once the route's middleware has run (http/ … route traits). */
interface RequestVars {
  requestId: string;
  db: Db;
  /** The request's database handle (round-trip counts, the leading session check). */
  dbHandle: DbHandle;
  idempotencyRequest?: IdempotencyRequest;
  idempotency?: IdempotencyState;
  /** Set by a route whose reply is not its last written record (route({ rebuild })). */
  rebuild?: Rebuild;
}

/** A route without a session (`session: "none"`). */
export type PublicEnv = { Bindings: Env; Variables: RequestVars };

/** A route that may have a session (`session: "optional"`): `user` is unset without one. */
export type OptionalSessionEnv = {
  Bindings: Env;
  Variables: RequestVars & {
    user?: AuthUser;
    sessionId?: string;
    sessionKind?: "device" | "token";
    sessionExpiresAt?: Date;
  };
};

/** A signed-in route whose handler runs after the session check (the default): the user is a value. */
export type AppEnv = {
  Bindings: Env;
  Variables: RequestVars & {
    user: AuthUser;
    sessionId: string;
    /** `device` (a sign-in) or `token` (a personal access token); known once the session check passed. */
    sessionKind: "device" | "token";
    sessionExpiresAt: Date;
  };
};

/**
 * A signed-in route declared `pipelined: true`: its handler runs before the
 * session is confirmed, and its first query carries the check
 * (middleware/auth.ts). So its context offers only what is safe before then:
 * the database and the id the token names — no bindings (R2, queues, Durable
 * Objects, AI) and no other user field. `confirmed(c)` (http/openapi.ts) awaits
 * the check and returns the full context.
 */
export type PipelinedEnv = {
  Bindings: {};
  Variables: RequestVars & {
    user: { readonly id: string };
    /** Awaits the session check (sending it alone if no query has carried it yet); throws if refused. */
    confirmSession(): Promise<AuthUser>;
  };
};
