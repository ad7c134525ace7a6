/**
 * After a commit: report the writer's cursor and relay each user's changes to
 * that user's Durable Object (sync/relay.ts), in messages whose `prev` never
 * skips a cursor. Used by write() and by the one-call database functions
 * (sync/call.ts).
 */
import { isEntity, type EntityName } from "../protocol/registry";
import { rowFromRaw, type RowOf, toWire } from "../protocol/row-mapping";
import type { Change, ServerMessage } from "../protocol/sync";

/** Each user's changes of one write, in statement order (a batch per statement). */
export type Changes = Map<string, Change[][]>;

/** Adds one statement's changes to `owner`'s batches (nothing for an empty batch). */
export function addBatch(changes: Changes, owner: string, batch: Change[]): void {
  if (batch.length === 0) return;
  if (!changes.has(owner)) changes.set(owner, []);
  changes.get(owner)!.push(batch);
}

/**
 * A logged row (column names; `id` and `version` as logged — a join-table
 * record returns e.g. `loop_id as id, 1 as version`) as the change the relay
 * and the feed carry. A delete's tombstone carries the version the deletion
 * would have had. `row`: the drizzle row, when the caller has it already.
 */
export function changeOf<E extends EntityName>(
  entity: E,
  op: "upsert" | "delete",
  cursor: string,
  raw: Record<string, unknown>,
  row?: RowOf<E>,
): Change {
  const [id, version] = [String(raw.id), Number(raw.version)];
  return op === "delete"
    ? { cursor, entity, id, op, version: version + 1, data: null }
    : { cursor, entity, id, op, version, data: toWire(entity, row ?? rowFromRaw(entity, raw)) };
}

/** One change as continuum_log() returns it (the one-call database functions, ./call.ts). */
export interface LoggedChange {
  owner: string;
  cursor: string;
  entity: string;
  op: "upsert" | "delete";
  row: Record<string, unknown>;
}

/** A one-call function's changes, each in its owner's batches. */
export function addLogged(changes: Changes, logged: readonly LoggedChange[]): void {
  for (const c of logged) {
    if (!isEntity(c.entity)) throw new Error(`continuum_log: unknown entity ${c.entity}`);
    addBatch(changes, c.owner, [changeOf(c.entity, c.op, c.cursor, c.row)]);
  }
}

/** What follows a commit (a `WriteScope`'s after-commit half). */
export interface Announcer {
  userId: string;
  relay(userId: string, message: ServerMessage): void;
  committed?(cursor: string): void;
}

/** The writer's own changes report its cursor; every user's (own or another's) are relayed to that user. */
export function announceAll(scope: Announcer, changes: Changes) {
  for (const [owner, batches] of changes) {
    if (owner === scope.userId) scope.committed?.(String(Math.max(...batches.flat().map((ch) => Number(ch.cursor)))));
    announce(scope, owner, batches);
  }
}

/**
 * After commit: report the write's cursor and relay the changes live.
 * Each statement's changes have consecutive cursors; batches that continue one
 * another are merged, others are sent as their own message so `prev` never
 * skips a cursor written by someone else in between.
 */
function announce(scope: Announcer, userId: string, batches: Change[][]) {
  if (batches.length === 0) return;
  const messages: Change[][] = [];
  for (const batch of batches) {
    const last = messages.at(-1);
    if (last && Number(last.at(-1)!.cursor) + 1 === Number(batch[0]!.cursor)) last.push(...batch);
    else messages.push([...batch]);
  }
  for (const changes of messages) {
    const prev = String(Number(changes[0]!.cursor) - 1);
    scope.relay(userId, { type: "changes", prev, cursor: changes.at(-1)!.cursor, changes });
  }
}
