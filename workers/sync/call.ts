/**
 * Writes done by one database function in one statement (db/migrations/
 * 0009_one_call_writes.sql): a purchase, a refund, a like. The function
 * appends each change to the change log itself (continuum_log(), the same
 * entries as `logged()` in ./write.ts) and returns them; here they become the
 * request's cursor and the relay after commit, through write.ts's
 * `announceAll` — so the change log and the live relay happen exactly as for
 * every other write. One statement on the HTTP path: the session check leads
 * it, and the write costs one round trip.
 *
 * Refusals raise SQLSTATE `CNAPP` with the API error code as the message
 * (`code` or `code:detail`); `refusal()` reads it for the caller to map.
 */
import type { SQL } from "drizzle-orm";
import { pgError, SQLSTATE } from "../errors";
import type { LoggedChange } from "./relay";
import { write, type WriteScope } from "./write";

/** The refusal a database function raised (SQLSTATE CNAPP), if `err` is one. */
export function refusal(err: unknown): { code: string; detail: string } | undefined {
  const pg = pgError(err);
  if (pg?.sqlstate !== SQLSTATE.appRefusal) return undefined;
  const at = pg.message.indexOf(":");
  return at < 0
    ? { code: pg.message, detail: "" }
    : { code: pg.message.slice(0, at), detail: pg.message.slice(at + 1) };
}

/**
 * Runs `statement` — `select <function>(…) as r`, whose jsonb result carries
 * `changes` — as a write of its own, announced after it committed (the same as
 * `write(scope, (w) => w.call(statement))`; domain code calls `w.call` inside
 * its `scope.write`, so several calls make one live message).
 */
export const writeCall = <T extends object>(scope: WriteScope, statement: SQL) =>
  write(scope, (w) => w.call<T>(statement));

export type { LoggedChange };
