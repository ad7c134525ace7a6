/**
 * The HTTP edge of the write path: the precondition a request states
 * (`If-Match` or body `version`), the scope a request writes in (its pool,
 * its user, the relay via waitUntil, `X-Sync-Cursor` on the response), and a
 * record response with its `ETag`.
 */
import type { Context } from "hono";
import type { PipelinedEnv } from "../env";
import { AppError } from "../errors";
import { keyClaim } from "../middleware/idempotency";
import { type EntityName, type RowOf, toWire } from "../protocol/registry";
import { relayChanges } from "../sync/relay";
import { type Scope, scopeFrom } from "../sync/scope";
import type { WriteScope } from "../sync/write";

/**
 * The precondition of an update/delete: `If-Match: "<version>"` or `version`
 * in the body. Undefined = no precondition (last write wins).
 */
export function expectedVersion(c: Context, bodyVersion?: number): number | undefined {
  const header = c.req.header("if-match");
  if (header === undefined || header.trim() === "*") return bodyVersion;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m) throw new AppError(400, "invalid_if_match", 'If-Match must be a version like "3".');
  return Number(m[1]);
}

/**
 * The scope of an HTTP request: its pool, its user, relay via waitUntil,
 * `X-Sync-Cursor` on the response. Takes a pipelined context too: the relay
 * (the one binding it uses) runs only after a commit, and nothing commits
 * before the session check that leads the request's first query has passed.
 */
export function requestScope(c: Context, userId?: string): WriteScope {
  const v = c.var as unknown as PipelinedEnv["Variables"];
  return {
    db: v.db,
    userId: userId ?? v.user.id,
    relay: (user, message) => c.executionCtx.waitUntil(relayChanges(c.env as Env, user, message)),
    committed: (cursor) => c.header("X-Sync-Cursor", cursor),
    idempotency: keyClaim(c),
  };
}

/** A record response: its wire shape with `ETag: "<version>"` (SPEC §3). */
export function sendRecord<E extends EntityName>(c: Context, entity: E, row: RowOf<E>, status: 200 | 201 = 200) {
  c.header("ETag", `"${(row as { version: number }).version}"`);
  return c.json(toWire(entity, row), status);
}

/** The domain scope (sync/scope.ts) of an HTTP request: its user's, or `userId`'s (a signup's new account). */
export const scopeOf = (c: Context, userId?: string): Scope => scopeFrom(requestScope(c, userId));
