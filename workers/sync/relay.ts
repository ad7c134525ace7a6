/**
 * After a commit, what goes to a user's Durable Object (one per user, by
 * name): the writer's cursor and each user's changes as messages whose `prev`
 * never skips a cursor (used by write() and the one-call database functions,
 * ./write.ts), relayed best effort; and the closing of ended sessions'
 * sockets, which is not best effort.
 */
import { type EntityName, isEntity, rowFromRaw, type RowOf, toWire } from "../protocol/registry";
import type { Change, ServerMessage } from "../protocol/sync";
import { logFields } from "../errors";

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

/** The user's Durable Object (one per user, by name). */
export const userHub = (env: Env, userId: string) => env.USER_HUB.getByName(userId);

/**
 * Push committed changes to the user's open sockets. Best effort: the change
 * log is the truth, and a client that misses this pulls by cursor.
 */
export async function relayChanges(env: Env, userId: string, message: ServerMessage): Promise<void> {
  try {
    await userHub(env, userId).broadcast(JSON.stringify(message));
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "relay failed", user_id: userId, ...logFields(err) }));
  }
}

const CLOSE_ATTEMPTS = 3;

/**
 * Closes the sockets of ended sessions (logout, revoke, expiry). Unlike the
 * relay this is not best effort: a revoked device must lose its live feed. A
 * failing call is retried (a fresh stub each time: a broken stub stays broken);
 * if every attempt fails the failure is logged and resolves to false, and the
 * hub's own alarm closes the sockets when it next checks their sessions
 * against Postgres (do/user-hub.ts).
 */
export async function endSessionSockets(env: Env, userId: string, sessionIds: string[]): Promise<boolean> {
  let error: unknown;
  for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
    try {
      await userHub(env, userId).closeSessions(sessionIds);
      return true;
    } catch (err) {
      error = err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "closing sockets of ended sessions failed; the hub's alarm will close them",
      user_id: userId,
      session_ids: sessionIds,
      ...logFields(error),
    }),
  );
  return false;
}

/** From a request: closes after the response, on the request's execution context. */
export const closeSessionSockets = (
  c: { env: Env; executionCtx: { waitUntil(p: Promise<unknown>): void } },
  userId: string,
  sessionIds: string[],
) => c.executionCtx.waitUntil(endSessionSockets(c.env, userId, sessionIds));
