/**
 * The one context a domain command takes (`data/*.ts`, the assistant's
 * conversations and tools): whose records, a database handle for reads, and
 * the one write path — `scope.write(w => …)`, where `w.call(…)` runs a
 * one-call database function. A route builds it with `scopeOf(c)`
 * (http/record.ts), a job or test with `scopeFrom(writeScope)`, a tool inside
 * an open write with `withinWrite()`; the command never knows which, and it
 * decides itself whether it needs a transaction. The `WriteScope` underneath
 * (workers/sync/write.ts: relay, cursor, the idempotency claim) is plumbing
 * that only those builders see. Nothing in it outlives the request or job
 * that made it.
 */
import type { Db, Tx } from "../../db/client";
import { write, type WriteScope, type Writer } from "./write";

export interface Scope {
  db: Db | Tx;
  userId: string;
  /** `write()` on this scope: logs, versions and relays every change. */
  write<T>(work: (w: Writer) => Promise<T>, opts?: { transaction?: boolean }): Promise<T>;
  /** Inside an open transaction (withinWrite): a failed statement would abort it, so read before writing. */
  inTransaction?: true;
}

export const scopeFrom = (ws: WriteScope): Scope => ({
  db: ws.db,
  userId: ws.userId,
  write: (work, opts) => write(ws, work, opts ?? {}),
});

/** The same scope inside an open write: reads and nested writes join that transaction. */
export const withinWrite = (scope: Scope, w: Writer): Scope => ({
  db: w.db,
  userId: scope.userId,
  write: (work) => work(w),
  inTransaction: true,
});
