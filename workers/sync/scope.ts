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
import type { SQL, SQLWrapper } from "drizzle-orm";
import type { LoggedChange } from "./relay";
import type { EntityName } from "../protocol/registry";
import { write, writeBatch, type WriteScope, type Writer } from "./write";

/** One statement of `Scope.writeBatch` (its rows are `entity` records, e.g. `returning *`). */
export type BatchItem = { entity: EntityName; op: "upsert" | "delete"; statement: SQLWrapper };

export interface Scope {
  db: Db | Tx;
  userId: string;
  /** `write()` on this scope: logs, versions and relays every change. */
  write<T>(work: (w: Writer) => Promise<T>, opts?: { transaction?: boolean }): Promise<T>;
  /**
   * A one-call database function (`select <function>(…) as r`, ./call.ts) as
   * a write of its own: `scope.write((w) => w.call(statement))`.
   */
  call<T extends object>(statement: SQL): Promise<T & { changes: LoggedChange[] }>;
  /**
   * Statements known in full beforehand, logged like `w.log` and all or
   * nothing: one non-interactive round trip (./write.ts `writeBatch`), or,
   * inside an open write, each in turn on it. The rows of each, in order.
   */
  writeBatch(items: readonly BatchItem[]): Promise<Record<string, unknown>[][]>;
  /** The request's claimed Idempotency-Key (null without one), for a database function's `p_key`. */
  idempotencyKey: string | null;
  /** Inside an open transaction (withinWrite): a failed statement would abort it, so read before writing. */
  inTransaction?: true;
}

export const scopeFrom = (ws: WriteScope): Scope => ({
  db: ws.db,
  userId: ws.userId,
  write: (work, opts) => write(ws, work, opts ?? {}),
  call: (statement) => write(ws, (w) => w.call(statement)),
  writeBatch: (items) => writeBatch(ws, items),
  idempotencyKey: ws.idempotency?.key ?? null,
});

/** The same scope whose writes join the open write `w` (its changes go out as one live message). */
export const joinedWrite = (scope: Scope, w: Writer): Scope => ({
  db: scope.db,
  userId: scope.userId,
  write: (work) => work(w),
  call: (statement) => w.call(statement),
  writeBatch: logEachOn(w),
  idempotencyKey: w.idempotencyKey,
});

/** The same scope inside an open transaction: reads and nested writes join it. */
export const withinWrite = (scope: Scope, w: Writer): Scope => ({
  ...joinedWrite(scope, w),
  db: w.db,
  inTransaction: true,
});

/** `Scope.writeBatch` for a scope that writes through an open writer: each statement in turn on it. */
export const logEachOn =
  (w: Writer) =>
  async (items: readonly BatchItem[]): Promise<Record<string, unknown>[][]> => {
    const rows: Record<string, unknown>[][] = [];
    for (const i of items) rows.push((await w.log(i.entity, i.op, i.statement)) as Record<string, unknown>[]);
    return rows;
  };
