/**
 * The one write path for synced records.
 *
 * Every write to a synced table goes through a `Writer` method, which runs the
 * domain statement and its change-log entries as ONE SQL statement:
 *
 *   with rec as (<insert|update|delete … returning *>),
 *        bump as (update users set change_seq = change_seq + n … returning change_seq),
 *        numbered as (rec + the cursor each row gets),
 *        logged as (insert into change_log … select … from numbered)
 *   select * from numbered
 *
 * A single statement is atomic on its own, so an ordinary write costs one
 * round trip (no BEGIN/COMMIT). Writes that need several statements pass
 * `{ transaction: true }`. The user-row lock taken by `bump` orders a user's
 * cursors by commit. Log entries store the raw row; the change feed and the
 * relay turn rows into wire records with the registry's `toWire`.
 *
 * `write()` takes a plain scope (database, user, what to do after commit), so
 * HTTP routes, cron jobs and queue consumers write the same way. After commit
 * it reports the cursor that contains the write (routes send it as
 * `X-Sync-Cursor`) and relays the changes to the user's Durable Object.
 *
 * A write may also change what ANOTHER user sees of their own records (B likes
 * A's loop → A's counters). `w.lockLogs([A])` then `w.log(…, { owner: A })`
 * appends to A's change log in the same transaction and relays to A's sockets
 * after commit; the user rows are locked in id order first, so two such writes
 * crossing each other (A→B, B→A) wait instead of deadlocking.
 */
import { and, eq, getTableColumns, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { batch, type Db, type Tx } from "../../db/client";
import { CONSTRAINT } from "../../db/schema";
import type { KeyClaim } from "../env";
import { AppError, idConflict, notFound, retryable, uniqueViolation } from "../errors";
import { isUuid } from "../protocol/common";
import type { SyncedTable as Synced } from "../protocol/declare";
import {
  entities,
  type EntityName,
  hasValues,
  rowFromRaw,
  type RowOf,
  toWire,
  type ValuesOf,
} from "../protocol/registry";
import type { Change, ServerMessage } from "../protocol/sync";
import { addBatch, addLogged, announceAll, changeOf, type Changes, type LoggedChange } from "./relay";
// Drizzle's builders don't narrow over a union of tables; the casts stay in this file.
type Loose = any;

const tableOf = (entity: EntityName) => entities[entity].table as Synced;
const owned = (t: Synced, userId: string, id: string): SQL => and(eq(t.id, id), eq(t.userId, userId))!;

const generatedColumns = (entity: EntityName) =>
  Object.values(getTableColumns(tableOf(entity)))
    .filter((col) => col.generated !== undefined)
    .map((col) => col.name);

export function assertId(entity: EntityName, id: string): void {
  if (!isUuid(id)) throw notFound(entities[entity].label);
}

export async function findOwned<E extends EntityName>(
  db: Db | Tx,
  entity: E,
  userId: string,
  id: string,
): Promise<RowOf<E>> {
  assertId(entity, id);
  const t = tableOf(entity);
  const [row] = await (db as Loose)
    .select()
    .from(t)
    .where(owned(t, userId, id))
    .limit(1);
  if (!row) throw notFound(entities[entity].label);
  return row;
}

/** 409 `version_conflict` with the current record (SPEC §3), for every record type. */
export const versionConflict = <E extends EntityName>(entity: E, current: RowOf<E>) =>
  new AppError(409, "version_conflict", "This record was changed elsewhere; the current version is attached.", {
    details: { current: toWire(entity, current) },
  });

export interface Writer {
  /**
   * Insert. A client-supplied `id` that already exists with the same content
   * returns the existing record (`created: false`); other content → 409.
   * `computed`: columns whose value the statement computes (e.g. the owner's
   * username, read in the same statement), left out of that comparison.
   */
  insert<E extends EntityName>(
    entity: E,
    values: ValuesOf<E>,
    computed?: Partial<Record<keyof ValuesOf<E>, SQL>>,
  ): Promise<{ row: RowOf<E>; created: boolean }>;
  /** Update one owned record with the optional version check; bumps version. 404 / 409 otherwise. */
  update<E extends EntityName>(
    entity: E,
    id: string,
    expected: number | undefined,
    set: ValuesOf<E> | Record<string, unknown>,
  ): Promise<RowOf<E>>;
  /** Update the user's records matching `where` (no error when none match). */
  updateWhere<E extends EntityName>(
    entity: E,
    where: SQL | undefined,
    set: ValuesOf<E> | Record<string, unknown>,
  ): Promise<RowOf<E>[]>;
  /** Delete one owned record with the optional version check. 404 / 409 otherwise. */
  remove<E extends EntityName>(entity: E, id: string, expected: number | undefined): Promise<RowOf<E>>;
  /** Delete the user's records matching `where`. */
  removeWhere<E extends EntityName>(entity: E, where: SQL | undefined): Promise<RowOf<E>[]>;
  /**
   * Run `statement` (its rows are `entity` records with `id` and `version`,
   * e.g. `returning *`) and log each row as `op` in `owner`'s change log —
   * by default the writer's user. Another user's log must be locked first.
   */
  log<E extends EntityName>(
    entity: E,
    op: "upsert" | "delete",
    statement: SQLWrapper,
    opts?: {
      owner?: string;
      /**
       * Also drop that log's earlier entries for the same records, in the same
       * statement (what the hourly compaction would do later): a like/unlike
       * storm leaves one entry per loop in the owner's log, not one per toggle.
       */
      collapse?: boolean;
    },
  ): Promise<RowOf<E>[]>;
  /**
   * Lock the change logs of this writer's user and `others` in id order; the
   * first step of a transaction that writes to other users' logs (or that
   * checks a rule across several of the user's records: the user row then
   * serializes those writes).
   */
  lockLogs(others: string[]): Promise<void>;
  /**
   * A write done by one database function (./call.ts): `statement` is
   * `select <function>(…) as r`, whose jsonb result carries the `changes` it
   * logged with continuum_log(); they are announced with this write's. A
   * deadlock outside a transaction rolled the one statement back whole, so it
   * is retried. Refusals raise SQLSTATE CNAPP (`refusal()` in ./call.ts).
   */
  call<T extends object>(statement: SQL): Promise<T & { changes: LoggedChange[] }>;
  /**
   * Changes a database function logged in a statement that rode along with
   * one of this write's (db/client.ts `ride`): announced with this write's.
   */
  adopt(changes: readonly LoggedChange[]): void;
  /** The request's claimed Idempotency-Key, for a database function's `p_key` (it records the outcome). */
  idempotencyKey: string | null;
  /** Reads inside the same transaction (when there is one). */
  db: Db | Tx;
}

/** `statement` with its change-log entries (and the key's outcome), as ONE SQL statement. */
function loggedSql(
  userId: string,
  entity: EntityName,
  op: "upsert" | "delete",
  statement: SQLWrapper,
  /** The request's claimed Idempotency-Key, when this statement writes the requester's own log. */
  claim: KeyClaim | undefined,
  /** Drop the log's earlier entries for the same records (see Writer.log). */
  collapse = false,
): SQL {
  // Generated columns (e.g. a search tsvector) are derived data: not worth logging.
  const skip = ["__seq", ...generatedColumns(entity)];
  const data =
    op === "delete"
      ? sql`null::jsonb`
      : sql`to_jsonb(numbered) - array[${sql.join(
          skip.map((name) => sql`${name}`),
          sql`, `,
        )}]::text[]`;
  // A delete's tombstone carries the version the deletion would have had.
  const version = op === "delete" ? sql`version + 1` : sql`version`;
  return sql`
    with rec as (${statement.getSQL()}),
    bump as (
      update users set change_seq = change_seq + (select count(*) from rec)
      where id = ${userId} and exists (select 1 from rec)
      returning change_seq),
    numbered as (
      select rec.*, (select change_seq from bump) - (select count(*) from rec) + row_number() over () as __seq
      from rec),
    logged as (
      insert into change_log (user_id, seq, entity, record_id, op, version, data)
      select ${userId}, __seq, ${entity}, id, ${op}, ${version}, ${data} from numbered)${
        collapse
          ? sql`,
    collapsed as (
      delete from change_log where user_id = ${userId} and entity = ${entity}
        and record_id in (select id from numbered) and seq < (select min(__seq) from numbered))`
          : sql``
      }${
        claim === undefined
          ? sql``
          : sql`,
    outcome as (${claim.outcome(userId, entity)})`
      }
    select * from numbered order by __seq`;
}

/** The rows a logged statement returned, as records; their changes go into `out`. */
function takeLogged<E extends EntityName>(
  userId: string,
  entity: E,
  op: "upsert" | "delete",
  raws: Record<string, unknown>[],
  out: Changes,
): RowOf<E>[] {
  const changes: Change[] = [];
  const rows = raws.map((raw) => {
    const row = rowFromRaw(entity, raw);
    changes.push(changeOf(entity, op, String(raw.__seq), raw, row));
    return row;
  });
  addBatch(out, userId, changes);
  return rows;
}

/** Runs `statement` and logs every returned row as a change, in one SQL statement. */
async function logged<E extends EntityName>(
  db: Db | Tx,
  userId: string,
  entity: E,
  op: "upsert" | "delete",
  statement: SQLWrapper,
  out: Changes,
  claim: KeyClaim | undefined,
  collapse = false,
): Promise<RowOf<E>[]> {
  const result = await db.execute(loggedSql(userId, entity, op, statement, claim, collapse));
  return takeLogged(userId, entity, op, result.rows as Record<string, unknown>[], out);
}

/**
 * Several of the scope's own logged statements (each as `Writer.log` runs it) as ONE
 * non-interactive transaction over the HTTP path: one round trip, all or nothing, announced
 * after commit like any write. For a write whose every statement was decided before it began
 * (an import's records, data/import.ts); each statement's records come back in order.
 */
export async function writeBatch(
  scope: WriteScope,
  items: ReadonlyArray<{ entity: EntityName; op: "upsert" | "delete"; statement: SQLWrapper }>,
): Promise<Record<string, unknown>[][]> {
  if (items.length === 0) return [];
  const { db, userId } = scope;
  for (let attempt = 1; ; attempt++) {
    const changes: Changes = new Map();
    try {
      const results = (await batch(
        db,
        items.map((i) => db.execute(loggedSql(userId, i.entity, i.op, i.statement, scope.idempotency))),
      )) as unknown as { rows: Record<string, unknown>[] }[];
      const rows = items.map((i, n) => takeLogged(userId, i.entity, i.op, results[n]!.rows, changes));
      announceAll(scope, changes);
      return rows as Record<string, unknown>[][];
    } catch (err) {
      // The batch rolled back whole: a deadlock or serialization failure may simply be run again.
      if (!(retryable(err) && attempt < 3)) throw err;
    }
  }
}

/** Runs an autocommit statement again (up to 3 times in all) when it lost a deadlock or a serialization race: it rolled back whole. */
async function again<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (err) {
      if (!(retryable(err) && attempt < 3)) throw err;
    }
  }
}

/** Unique constraints on an id alone (not the (user_id, id) conflict target): a clash is someone else's record. */
const GLOBAL_ID_KEYS = new Set<string>([CONSTRAINT.marketItemsPkey, CONSTRAINT.loopsId]);

/** Every update of a synced record: version +1 and a fresh updated_at. */
const bump = (t: Synced) => ({ version: sql`${t.version} + 1`, updatedAt: sql`now()` });

function writer(
  db: Db | Tx,
  userId: string,
  out: Changes,
  transactional: boolean,
  claim: KeyClaim | undefined,
): Writer {
  const scoped = (t: Synced, where: SQL | undefined) => and(eq(t.userId, userId), where);
  const locked = new Set<string>();
  // Outside a transaction each statement commits or rolls back alone: one that lost a deadlock may run again.
  const once = <T>(f: () => Promise<T>): Promise<T> => (transactional ? f() : again(f));
  const self: Writer = {
    db,
    idempotencyKey: claim?.key ?? null,
    async call<T extends object>(statement: SQL) {
      const result = await once(() => db.execute(statement));
      const r = (result.rows[0] as { r: T & { changes: LoggedChange[] } }).r;
      addLogged(out, r.changes);
      return r;
    },
    adopt: (changes) => addLogged(out, changes),
    async lockLogs(others) {
      if (!transactional) throw new Error("lockLogs needs write(…, { transaction: true })");
      if (out.size > 0 || locked.size > 0) throw new Error("lockLogs must be the transaction's first write");
      const ids = [...new Set([userId, ...others])].sort();
      // Sorted, then locked (LockRows sits above the Sort): every writer takes user rows in the same order.
      // NO KEY UPDATE is what the change_seq bump takes anyway, and it doesn't block FK checks.
      // The same statement declares the other users for row-level security (continuum_peers()): this
      // transaction may then update their loops' counters and append to their change logs.
      const peers = ids.filter((id) => id !== userId);
      await db.execute(
        sql`select id from users where id in (${sql.join(
          ids.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}) and set_config('continuum.peers', ${`{${peers.join(",")}}`}, true) is not null order by id for no key update`,
      );
      ids.forEach((id) => locked.add(id));
    },
    async log(entity, op, statement, opts = {}) {
      const owner = opts.owner ?? userId;
      if (owner !== userId && !locked.has(owner)) throw new Error("lockLogs([owner]) before logging to another user");
      return once(() =>
        logged(db, owner, entity, op, statement, out, owner === userId ? claim : undefined, opts.collapse),
      );
    },
    async insert(entity, values, computed) {
      const t = tableOf(entity);
      const id = (values as { id?: string }).id ?? crypto.randomUUID();
      const q = (db as Loose)
        .insert(t)
        .values({ ...values, ...computed, id, userId })
        // Keys are (user_id, id): only this user's own records can conflict.
        .onConflictDoNothing({ target: [t.userId, t.id] })
        .returning();
      const [row] = await once(() => logged(db, userId, entity, "upsert", q, out, claim)).catch((err: unknown) => {
        // Ids unique across users (a custom reward's, a loop's): another user took this one,
        // perhaps in a race with a check that found it free. The same 409 as any used id.
        if (GLOBAL_ID_KEYS.has(uniqueViolation(err) ?? "")) throw idConflict();
        throw err;
      });
      if (row) return { row, created: true };
      const [existing] = await (db as Loose)
        .select()
        .from(t)
        .where(owned(t, userId, id))
        .limit(1);
      if (existing === undefined || !hasValues(existing, values)) throw idConflict();
      return { row: existing, created: false };
    },
    async update(entity, id, expected, set) {
      assertId(entity, id);
      const t = tableOf(entity);
      const where = and(owned(t, userId, id), expected === undefined ? undefined : eq(t.version, expected));
      const q = (db as Loose)
        .update(t)
        .set({ ...set, ...bump(t) })
        .where(where)
        .returning();
      const [row] = await once(() => logged(db, userId, entity, "upsert", q, out, claim));
      if (row) return row;
      throw versionConflict(entity, await findOwned(db, entity, userId, id)); // or 404: not there / not yours
    },
    async updateWhere(entity, where, set) {
      const t = tableOf(entity);
      const q = (db as Loose)
        .update(t)
        .set({ ...set, ...bump(t) })
        .where(scoped(t, where))
        .returning();
      return once(() => logged(db, userId, entity, "upsert", q, out, claim));
    },
    async remove(entity, id, expected) {
      assertId(entity, id);
      const t = tableOf(entity);
      const where = and(owned(t, userId, id), expected === undefined ? undefined : eq(t.version, expected));
      const [row] = await once(() =>
        logged(db, userId, entity, "delete", (db as Loose).delete(t).where(where).returning(), out, claim),
      );
      if (row) return row;
      throw versionConflict(entity, await findOwned(db, entity, userId, id));
    },
    async removeWhere(entity, where) {
      const t = tableOf(entity);
      return once(() =>
        logged(db, userId, entity, "delete", (db as Loose).delete(t).where(scoped(t, where)).returning(), out, claim),
      );
    },
  };
  return self;
}

/** Where a write happens and what follows its commit. */
export interface WriteScope {
  db: Db;
  /** Whose records (and change log) the writer touches. */
  userId: string;
  /** After commit: push a message to a user's open sockets (best effort). */
  relay(userId: string, message: ServerMessage): void;
  /** After commit: the cursor that contains this write. */
  committed?(cursor: string): void;
  /**
   * The request's claimed Idempotency-Key: each write statement embeds its
   * outcome (middleware/idempotency.ts), so "the write committed" and "the key
   * knows it" can never disagree; a one-call database function takes its `key`.
   */
  idempotency?: KeyClaim;
}

export async function write<T>(
  scope: WriteScope,
  work: (w: Writer) => Promise<T>,
  opts: { transaction?: boolean } = {},
): Promise<T> {
  const { db, userId } = scope;
  for (let attempt = 1; ; attempt++) {
    const changes: Changes = new Map();
    try {
      const result = opts.transaction
        ? await db.transaction((tx) => work(writer(tx, userId, changes, true, scope.idempotency)))
        : await work(writer(db, userId, changes, false, scope.idempotency));
      announceAll(scope, changes);
      return result;
    } catch (err) {
      // Without a transaction, earlier statements of `work` are already committed; only retry a whole transaction.
      if (!(opts.transaction && retryable(err) && attempt < 3)) {
        if (!opts.transaction) announceAll(scope, changes);
        throw err;
      }
    }
  }
}
