/**
 * What domain code needs to read and write for one user outside a route
 * handler's own body (the assistant's tools, MCP): a database handle and the
 * one write path, bound to a `WriteScope` (workers/sync/write.ts). Nothing in
 * it outlives the request or job that made it.
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
