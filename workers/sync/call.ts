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
import { pgError, retryable, SQLSTATE } from "../errors";
import { isEntity } from "../protocol/registry";
import { addBatch, announceAll, changeOf, type Changes } from "./announce";
import { type WriteScope } from "./write";

/** One change as continuum_log() returns it. */
interface LoggedChange {
  owner: string;
  cursor: string;
  entity: string;
  op: "upsert" | "delete";
  row: Record<string, unknown>;
}

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
 * `changes` — and announces the changes after it committed (or, given
 * `collect`, adds them there for the caller to announce with a later call's:
 * one live message for what the user sees as one event). A deadlock or
 * serialization failure rolled the one statement back whole, so it is retried.
 */
export async function writeCall<T extends object>(
  scope: WriteScope,
  statement: SQL,
  collect?: Changes,
): Promise<T & { changes: LoggedChange[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await scope.db.execute(statement);
      const r = (result.rows[0] as { r: T & { changes: LoggedChange[] } }).r;
      const changes: Changes = collect ?? new Map();
      for (const c of r.changes) {
        if (!isEntity(c.entity)) throw new Error(`continuum_log: unknown entity ${c.entity}`);
        addBatch(changes, c.owner, [changeOf(c.entity, c.op, c.cursor, c.row)]);
      }
      if (!collect) announceAll(scope, changes);
      return r;
    } catch (err) {
      if (!(retryable(err) && attempt < 3)) throw err;
    }
  }
}
