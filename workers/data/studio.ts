/**
 * Studio rules and SQL: who may read, change, like and remix a loop; counters
 * that move only with their join rows; the keyset feed; lineage.
 *
 * Counters (likes_count, remixes_count) change in the same transaction as the
 * row they count, through `w.log(…, { owner })`, so the loop's owner gets the
 * new counts in their own change log and on their sockets. They never bump the
 * loop's `version` (a like must not break the owner's If-Match).
 */
import { and, desc, eq, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db, Tx } from "../../db/client";
import { CONSTRAINT, loops, songs, type TimelineEntry } from "../../db/schema";
import { AppError, idConflict, notFound, pgError, SQLSTATE } from "../errors";
import type { z } from "zod";
import { chordsFit, loopRecord, loopToWire, type FeedItem, type FeedQuery, type UpdateLoop } from "../protocol/studio";
import { ErrorCode } from "../protocol/rules";
import { refusal } from "../sync/call";
import { STUDIO_RATES, studioRateLimited } from "../lib/rate-limit";
import type { Scope } from "../sync/scope";
import { assertId, versionConflict } from "../sync/write";
import { rowFromRaw, type RowOf } from "../protocol/registry";
import { paginateOwnNewest } from "./paginate";

type Loop = RowOf<"loop">;
/** The CHECK that holds chords ≤ bars × 4 (db/schema.ts loops). */
const LOOPS_CHORDS = "loops_chords";
const FORBIDDEN = () => new AppError(403, ErrorCode.forbidden, "Only the loop's owner can change it.");
const readable = (userId: string): SQL => or(eq(loops.visibility, "public"), eq(loops.userId, userId))!;

/** The user's name, read by the statement that stores it (a loop's `owner_username`). */
export const ownUsername = (userId: string): SQL => sql`(select username from users where id = ${userId})`;

/** The caller's own loops, newest first. */
export const listOwnLoops = (db: Db, userId: string, q: { page: number; page_size: number }) =>
  paginateOwnNewest(db, loops, loops.createdAt, userId, q);

/** A loop the caller may read: their own, or anyone's public one. Otherwise 404. */
export async function readableLoop(db: Db | Tx, userId: string, id: string): Promise<Loop> {
  assertId("loop", id);
  const [found] = await db
    .select({ loop: loops, parentHidden: parentHidden(userId) })
    .from(loops)
    .where(and(eq(loops.id, id), readable(userId)))
    .limit(1);
  if (!found) throw notFound("Loop");
  return found.parentHidden ? { ...found.loop, parentLoopId: null } : found.loop;
}

/**
 * True when the loop's parent is one the caller may not read (another user's
 * private loop): a public remix must not reveal that parent's id.
 */
const parentHidden = (userId: string) =>
  sql<boolean>`("loops"."parent_loop_id" is not null and not exists (
    select 1 from loops p where p.id = "loops"."parent_loop_id" and (p.visibility = 'public' or p.user_id = ${userId})))`;

/** The caller's own loop for a change: someone else's public loop is 403, anything else 404. */
export async function ownLoop(db: Db | Tx, userId: string, id: string): Promise<Loop> {
  const row = await readableLoop(db, userId, id);
  if (row.userId !== userId) throw FORBIDDEN();
  return row;
}

/**
 * Loop ids are global (public loops are addressed by id alone), so a create
 * may collide with another user's loop: the same 409 as any used id.
 */
export function idTaken(err: unknown): unknown {
  const pg = pgError(err);
  // (A remix given its parent's own id trips the not-own-parent CHECK first: that id is taken too.)
  const taken =
    (pg?.sqlstate === SQLSTATE.uniqueViolation && pg.constraint === CONSTRAINT.loopsId) ||
    (pg?.sqlstate === SQLSTATE.checkViolation && pg.constraint === CONSTRAINT.loopsNotOwnParent);
  return taken ? idConflict() : err;
}

/** A database CHECK caught what zod could not see (e.g. a concurrent change of `bars`): 422, not 500. */
function checkViolationAs422(err: unknown): never {
  const pg = pgError(err);
  if (pg?.sqlstate === SQLSTATE.checkViolation)
    throw new AppError(422, ErrorCode.validation_failed, "The request body is invalid.", {
      details: [{ path: "", code: "check_violation", message: `Rejected by ${pg.constraint ?? "a database rule"}.` }],
    });
  throw err;
}

const chordsIssue = () =>
  new AppError(422, ErrorCode.validation_failed, "The request body is invalid.", {
    details: [{ path: "chord_progression", code: "too_big", message: "At most bars × 4 chords." }],
  });

/**
 * An update of the owner's loop, in one statement: the bars/chords rule is the
 * `loops_chords` CHECK against the stored other half (a breach is the same 422
 * as zod's). Only a miss reads again, to tell 403 (someone else's public loop)
 * from 404 and 409.
 */
export async function updateLoop(
  scope: Scope,
  id: string,
  expected: number | undefined,
  patch: Omit<UpdateLoop, "version">,
) {
  if (patch.chord_progression && patch.bars !== undefined && !chordsFit(patch.chord_progression.length, patch.bars))
    throw chordsIssue();
  return scope
    .write((w) => w.update("loop", id, expected, loopRecord.toUpdate(patch)))
    .catch(async (err: unknown) => {
      const pg = pgError(err);
      if (pg?.sqlstate === SQLSTATE.checkViolation && pg.constraint === LOOPS_CHORDS) throw chordsIssue();
      // Not the caller's loop (or not there): another user's public loop is 403, not 404.
      if (err instanceof AppError && err.status === 404) await ownLoop(scope.db, scope.userId, id);
      return checkViolationAs422(err);
    });
}

/**
 * A new loop of the caller. The owner's username is copied onto it (a wire
 * record is built from the row alone), read by the insert itself so the
 * session check can lead it (one round trip). Its id may be taken by another
 * user's loop.
 */
export async function createLoop(scope: Scope, body: CreateLoopBody) {
  const values = { ...loopRecord.toInsert(body), ...(body.id ? { id: body.id } : {}) };
  return scope
    .write((w) => w.insert("loop", values, { ownerUsername: ownUsername(scope.userId) }))
    .catch((err: unknown) => Promise.reject(idTaken(err)));
}
type CreateLoopBody = z.output<typeof loopRecord.create>;

/**
 * Delete the owner's loop (continuum_delete_loop, db/migrations/0022: one call):
 * refused while an own song uses it; remixes stay, parentless, and their
 * owners' devices hear so; likes go with it (a tombstone in each liker's log);
 * its parent's remixes_count drops. The users whose logs it touches are locked
 * in id order inside the call, which also orders it against song writes.
 */
export async function removeLoop(scope: Scope, id: string, expected?: number) {
  assertId("loop", id);
  try {
    await scope.call(
      sql`select continuum_delete_loop(${scope.userId}, ${id}, ${expected ?? null}, ${scope.idempotencyKey}) as r`,
    );
  } catch (err) {
    const r = refusal(err);
    if (r?.code === "loop_not_found") throw notFound("Loop");
    if (r?.code === "forbidden") throw FORBIDDEN();
    if (r?.code === "loop_in_use")
      throw new AppError(409, ErrorCode.loop_in_use, "A song of yours uses this loop; take it out of the song first.", {
        details: { songs: r.detail.split(",") },
      });
    if (r?.code === "version_conflict") throw versionConflict("loop", await ownLoop(scope.db, scope.userId, id));
    throw err;
  }
}

/** A studio rate limit the call refused (`rate_limited:<kind>`) → 429; otherwise nothing. */
function rateRefused(err: unknown): void {
  const r = refusal(err);
  if (r?.code === ErrorCode.rate_limited) throw studioRateLimited(r.detail);
}

const RATES = sql`${STUDIO_RATES.perOwner}::int, ${STUDIO_RATES.perActor}::int`;

/**
 * Like (true) or unlike (false) a loop the caller may read, in ONE statement
 * (continuum_like(), db/migrations/0035): the join row is the truth; the
 * counter moves only when a row was inserted/deleted, and the owner's log gets
 * the new count. Another owner's loop charges the social limits in the same
 * call (429 when spent), so only a confirmed user is ever charged: the session
 * check leads the call. Idempotent by nature; 404 if the loop is not (or no
 * longer) readable.
 */
export async function setLike(scope: Scope, loopId: string, like: boolean) {
  assertId("loop", loopId);
  try {
    const r = await scope.call<{ liked: boolean; likes_count: number }>(
      sql`select continuum_like(${scope.userId}, ${loopId}, ${like}, ${scope.idempotencyKey}, ${RATES}) as r`,
    );
    return { liked: r.liked, likes_count: Number(r.likes_count) };
  } catch (err) {
    if (refusal(err)?.code === "loop_not_found") throw notFound("Loop");
    rateRefused(err);
    throw err;
  }
}

/**
 * A play about to be queued (continuum_play, db/migrations/0035): the loop must
 * be readable (404 otherwise); the play charges the per-(user, loop) budget and,
 * on another user's loop, the social ones (429 when spent). One statement that
 * the session check leads. Returns the loop's id (as stored) and owner.
 */
export async function chargePlay(db: Db, userId: string, loopId: string): Promise<{ loopId: string; owner: string }> {
  assertId("loop", loopId);
  try {
    const result = await db.execute(
      sql`select continuum_play(${userId}, ${loopId}, ${STUDIO_RATES.playsPerLoop}::int, ${RATES}) as r`,
    );
    const r = (result.rows[0] as { r: { loop_id: string; owner: string } }).r;
    return { loopId: r.loop_id, owner: r.owner };
  } catch (err) {
    if (refusal(err)?.code === "loop_not_found") throw notFound("Loop");
    rateRefused(err);
    throw err;
  }
}

/**
 * A new private loop of the caller copying a parent it may remix (own, or
 * public and remixable; else 404), in one call (continuum_remix, migration
 * 0035). Remixing another user's loop charges the social limits in that call
 * (429 when spent, nothing written).
 */
export async function remix(
  scope: Scope,
  parentId: string,
  body: { id?: string | undefined; name?: string | undefined },
) {
  assertId("loop", parentId);
  const r = await scope
    .call<{ row: Record<string, unknown>; created: boolean; same: boolean }>(
      sql`select continuum_remix(${scope.userId}, ${parentId}, ${body.id ?? null}, ${body.name ?? null},
        ${scope.idempotencyKey}, ${RATES}) as r`,
    )
    .catch((err: unknown): never => {
      if (refusal(err)?.code === "loop_not_found") throw notFound("Loop");
      if (pgError(err)?.sqlstate === SQLSTATE.foreignKeyViolation) throw notFound("Loop"); // the parent was deleted meanwhile
      rateRefused(err);
      throw idTaken(err);
    });
  if (!r.created && !r.same) throw idConflict();
  return { row: rowFromRaw("loop", r.row), created: r.created };
}

/**
 * Ancestors of a readable loop, oldest first; ancestors the caller may not
 * read are left out. One statement: the loop itself comes back as depth 0
 * when the caller may read it (404 otherwise) and is dropped here.
 */
export async function lineage(db: Db, userId: string, id: string): Promise<Loop[]> {
  assertId("loop", id);
  // The walk passes through ancestors the caller can't read (a narrow function: ids only); the join
  // then reads the loops under the caller's own row-level security, and the filter says so explicitly.
  const result = await db.execute(sql`
    select l.*, anc.depth as __depth, (l.parent_loop_id is not null and not exists (
        select 1 from loops p where p.id = l.parent_loop_id and (p.visibility = 'public' or p.user_id = ${userId})))
        as parent_hidden
    from (select a.id, a.depth from continuum_loop_ancestors(${id}::uuid) a
          union all select ${id}::uuid, 0) anc
      join loops l on l.id = anc.id
    where l.visibility = 'public' or l.user_id = ${userId}
    order by anc.depth desc`);
  const rows = result.rows as Record<string, unknown>[];
  if (!rows.some((r) => Number(r.__depth) === 0)) throw notFound("Loop");
  return rows
    .filter((r) => Number(r.__depth) > 0)
    .map((r) => {
      const row = rowFromRaw("loop", r);
      return r.parent_hidden ? { ...row, parentLoopId: null } : row;
    });
}

// ---- the public feed ---------------------------------------------------

const encodeCursor = (key: [string, string, string]) =>
  btoa(JSON.stringify(key)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
function decodeCursor(sort: string, cursor: string): [string, string] {
  try {
    const [s, k, id] = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    const okKey = sort === "new" ? /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/ : /^-?\d+(\.\d+)?(e[-+]?\d+)?$/;
    if (s === sort && typeof k === "string" && okKey.test(k) && typeof id === "string" && /^[0-9a-f-]{36}$/.test(id))
      return [k, id];
  } catch {
    // fall through
  }
  throw new AppError(
    400,
    ErrorCode.invalid_cursor,
    "The cursor is not one this feed handed out (or is for another sort).",
  );
}

/**
 * Public loops of all users, keyset-paginated: `new` by (created_at, id),
 * `top` by (hot_score, id) — both descending and indexed, so a page costs one
 * index range scan, and loops published meanwhile land before the cursor
 * instead of shifting later pages (no duplicates, no gaps).
 */
export async function feed(
  db: Db,
  userId: string,
  q: FeedQuery,
): Promise<{ items: FeedItem[]; next_cursor: string | null }> {
  const parent = alias(loops, "parent");
  const after = q.cursor ? decodeCursor(q.sort, q.cursor) : null;
  const keyset = !after
    ? undefined
    : q.sort === "new"
      ? sql`(${loops.createdAt}, ${loops.id}) < ((${after[0]} || '+00')::timestamptz, ${after[1]}::uuid)`
      : sql`(${loops.hotScore}, ${loops.id}) < (${after[0]}::float8, ${after[1]}::uuid)`;
  const rows = await db
    .select({
      loop: loops,
      liked: sql<boolean>`exists (select 1 from loop_likes lk where lk.loop_id = ${loops.id} and lk.user_id = ${userId})`,
      parentId: parent.id,
      parentOwnerId: parent.userId,
      parentOwnerUsername: parent.ownerUsername,
      key:
        q.sort === "new"
          ? sql<string>`to_char(${loops.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`
          : sql<string>`${loops.hotScore}::text`,
    })
    .from(loops)
    .leftJoin(
      parent,
      and(eq(parent.id, loops.parentLoopId), or(eq(parent.visibility, "public"), eq(parent.userId, userId))),
    )
    .where(and(eq(loops.visibility, "public"), keyset))
    .orderBy(...(q.sort === "new" ? [desc(loops.createdAt), desc(loops.id)] : [desc(loops.hotScore), desc(loops.id)]))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      // The parent's id only when the caller may read it (the join above): a private parent stays unnamed.
      ...loopToWire({ ...r.loop, parentLoopId: r.parentId }),
      liked: r.liked,
      remix_of:
        r.parentId && r.parentOwnerId && r.parentOwnerUsername
          ? { loop_id: r.parentId, owner: { id: r.parentOwnerId, username: r.parentOwnerUsername } }
          : null,
    })),
    next_cursor: rows.length > q.limit && last ? encodeCursor([q.sort, last.key, last.loop.id]) : null,
  };
}

// ---- songs -------------------------------------------------------------

/**
 * Every timeline entry must name one of the caller's loops: the database checks it in the write's own
 * statement (the songs_own_loops trigger, db/migrations/0045: the owner's row lock first, which orders it
 * against loop deletes, then the check) and refuses with CNAPP `unknown_loop:<ids>`. Here that refusal
 * becomes the 422 naming the offending entries; anything else is not ours.
 */
export function unknownLoops(err: unknown, timeline: TimelineEntry[] | undefined): AppError | undefined {
  const refused = refusal(err);
  if (refused?.code !== "unknown_loop") return undefined;
  const missing = new Set(refused.detail.toLowerCase().split(","));
  const bad = (timeline ?? []).flatMap((e, i) => (missing.has(e.loop_id.toLowerCase()) ? [i] : []));
  return new AppError(422, ErrorCode.validation_failed, "A song can only use your own loops.", {
    details: bad.map((i) => ({
      path: `timeline.${i}.loop_id`,
      code: "unknown_loop",
      message: "Not one of your loops.",
    })),
  });
}

export const listOwnSongs = (db: Db, userId: string, q: { page: number; page_size: number }) =>
  paginateOwnNewest(db, songs, songs.createdAt, userId, q);
