/**
 * The session check as SQL: one statement (the function continuum_session)
 * reads the session and its user (with the sync cursor, so an idle poll needs
 * nothing more), sets the user for row-level security for the rest of the
 * transaction and, for a mutation with an Idempotency-Key, claims the key.
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
import type { AuthUser, IdempotencyRequest } from "../env";
import { claimArgs, type ClaimColumns } from "./idempotency";

/** Session tokens are `<user id>.<secret>`; the id lets a request's first query be sent with the check. */
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{20,}$/;
export const tokenUserId = (token: string): string | undefined => TOKEN.exec(token)?.[1];

/** A session, its user and (./idempotency.ts) what the check did with the key. */
export interface SessionRow extends ClaimColumns {
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
}

export function sessionSql(
  tokenHash: string,
  claim: IdempotencyRequest | undefined,
  mode: { inspect: true } | { refuse: true; userId: string },
): SQL {
  const refuse = "refuse" in mode;
  // continuum_session() (db/migrations/0018_row_level_security.sql) also sets the request's user for
  // row-level security: the statements after it in the same transaction see only that user's rows.
  return sql`select * from continuum_session(${tokenHash}, ${refuse ? mode.userId : null}::uuid, ${claimArgs(claim)}, ${refuse})`;
}

export const userOf = (row: SessionRow): AuthUser => ({
  id: row.id,
  email: row.email,
  username: row.username,
  createdAt: new Date(row.created_at),
  changeSeq: Number(row.change_seq),
  changeFloor: Number(row.change_floor),
});
