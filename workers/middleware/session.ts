/**
 * The session check as SQL: one indexed statement reads the session and its
 * user (with the sync cursor, so an idle poll needs nothing more) and, for a
 * mutation with an Idempotency-Key, claims the key in the same statement.
 *
 * Two forms:
 *  - `inspect`: returns the row (none = not signed in) and what an earlier use
 *    of the key left behind — for requests that await authentication first;
 *  - `refuse`: the statement that leads a request's first database batch
 *    (./auth.ts). It names the user the token claims to belong to and raises
 *    (continuum_refuse(), db/migrations/0008_latency_custom.sql) when the session is not valid
 *    (CN401) or the key was used before (CN409), so whatever was batched after
 *    it in the same transaction never commits.
 */
import { sql, type SQL } from "drizzle-orm";
import type { AuthUser, IdempotencyRequest, IdempotencyState } from "../env";
import { SQLSTATE } from "../errors";

/** SQLSTATEs raised by the leading session check (errors.ts SQLSTATE). */
export const SESSION_REFUSED = SQLSTATE.sessionRefused;
export const KEY_USED = SQLSTATE.keyUsed;

/** Session tokens are `<user id>.<secret>`; the id lets a request's first query be sent with the check. */
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{20,}$/;
export const tokenUserId = (token: string): string | undefined => TOKEN.exec(token)?.[1];

export interface SessionRow {
  session_id: string;
  /** `device` (signed in; slides) or `token` (a personal access token; lives until revoked). */
  kind: string;
  scope: string;
  last_seen_at: string | Date;
  expires_at: string | Date;
  id: string;
  email: string;
  username: string;
  created_at: string | Date;
  change_seq: string | number;
  change_floor: string | number;
  claimed: boolean;
  k_request_hash?: string | null;
  k_status?: number | null;
  k_headers?: Record<string, string> | null;
  k_body?: string | null;
  k_outcome?: NonNullable<IdempotencyState["prior"]>["outcome"];
  k_age_ms?: number | string | null;
}

export function sessionSql(
  tokenHash: string,
  claim: IdempotencyRequest | undefined,
  mode: { inspect: true } | { refuse: true; userId: string },
): SQL {
  const key = claim?.key ?? null;
  const claimed = sql`
    with s as (
      select s.id as session_id, s.kind, s.scope, s.last_seen_at, s.expires_at, u.id, u.email, u.username, u.created_at, u.change_seq, u.change_floor
      from sessions s join users u on u.id = s.user_id
      where s.token_hash = ${tokenHash} and s.expires_at > now()
        ${"refuse" in mode ? sql`and u.id = ${mode.userId}` : sql``}
      limit 1),
    claim as (
      insert into idempotency_keys (user_id, key, request_hash)
      select id, ${key}, ${claim?.requestHash ?? null} from s where ${key}::text is not null
      on conflict do nothing
      returning key)`;
  if ("refuse" in mode)
    return sql`${claimed}
    select s.*, exists (select 1 from claim) as claimed
    from (select 1) one left join s on true
    where case
      when s.session_id is null then continuum_refuse(${SESSION_REFUSED}, 'session not valid')
      when ${key}::text is not null and not exists (select 1 from claim)
        then continuum_refuse(${KEY_USED}, 'idempotency key used before')
      else true end`;
  // `prior` reads the snapshot from before this statement, so it is an earlier
  // use of the key; a concurrent first use shows as neither claimed nor prior.
  return sql`${claimed}
    select s.*, exists (select 1 from claim) as claimed,
      k.request_hash as k_request_hash, k.status as k_status, k.headers as k_headers, k.body as k_body,
      k.outcome as k_outcome, extract(epoch from now() - k.created_at) * 1000 as k_age_ms
    from s left join idempotency_keys k on k.user_id = s.id and k.key = ${key}`;
}

export const userOf = (row: SessionRow): AuthUser => ({
  id: row.id,
  email: row.email,
  username: row.username,
  createdAt: new Date(row.created_at),
  changeSeq: Number(row.change_seq),
  changeFloor: Number(row.change_floor),
});

export function idempotencyOf(row: SessionRow): IdempotencyState {
  const prior =
    row.k_request_hash == null
      ? null
      : {
          requestHash: row.k_request_hash,
          status: row.k_status ?? null,
          headers: row.k_headers ?? null,
          body: row.k_body ?? null,
          outcome: row.k_outcome ?? null,
          ageMs: Number(row.k_age_ms ?? 0),
        };
  return { claimed: row.claimed, prior };
}
