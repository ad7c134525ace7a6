/**
 * Studio counters in the background: plays arrive through a Cloudflare Queue
 * (the route only enqueues), and the hourly cron reconciles every counter
 * against COUNT(*) of the rows it counts.
 */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { loops } from "../../db/schema";
import { isUuid } from "../protocol/common";
import { write, type WriteScope } from "../sync/write";
import { ofUser } from "./prune";

/** One queued play: `play_id` is minted by the route, so a redelivered message counts once. */
export interface PlayMessage {
  play_id: string;
  loop_id: string;
  user_id: string;
}

/**
 * One transaction per batch: insert the plays that are new (a redelivery or a
 * deleted loop/user just drops out), raise each loop's plays_count by the rows
 * inserted, and log the new counts to each owner's change log (their devices
 * see them live). Returns how many plays were counted.
 */
export async function countPlays(db: Db, plays: PlayMessage[], relay: WriteScope["relay"]): Promise<number> {
  const loopIds = [...new Set(plays.map((p) => p.loop_id))].filter(isUuid);
  if (!loopIds.length) return 0;
  const found = await db.select({ id: loops.id, owner: loops.userId }).from(loops).where(inArray(loops.id, loopIds));
  const owners = [...new Set(found.map((l) => l.owner))].sort();
  if (!owners.length) return 0;
  const ownerOf = new Map(found.map((l) => [l.id, l.owner]));
  return write(
    { db, userId: owners[0]!, relay },
    async (w) => {
      await w.lockLogs(owners.slice(1));
      const inserted = await w.db.execute(sql`
        insert into loop_plays (id, loop_id, user_id)
        select b.play_id, b.loop_id, u.id
        from jsonb_to_recordset(${JSON.stringify(plays)}::jsonb) as b(play_id uuid, loop_id uuid, user_id uuid)
          join loops l on l.id = b.loop_id
          left join users u on u.id = b.user_id
        on conflict (id) do nothing
        returning loop_id`);
      const perLoop = new Map<string, number>();
      for (const r of inserted.rows as { loop_id: string }[]) perLoop.set(r.loop_id, (perLoop.get(r.loop_id) ?? 0) + 1);
      for (const owner of owners) {
        const mine = [...perLoop].filter(([id]) => ownerOf.get(id) === owner);
        if (!mine.length) continue;
        const counts = sql.join(
          mine.map(([id, n]) => sql`(${id}::uuid, ${n}::int)`),
          sql`, `,
        );
        await w.log(
          "loop",
          "upsert",
          sql`update loops set plays_count = plays_count + c.n from (values ${counts}) as c(id, n)
              where loops.id = c.id returning loops.*`,
          { owner, collapse: true },
        );
      }
      return inserted.rows.length;
    },
    { transaction: true },
  );
}

export interface Drift {
  loop_id: string;
  likes: [number, number];
  plays: [number, number];
  remixes: [number, number];
}

const BATCH = 500;

/**
 * The hourly cron reconciles one slice of the loops per run — ids whose first
 * hex digit is `slice` (an index range of the primary key) — so a run costs a
 * sixteenth of the loops and their likes and plays, and each loop is checked
 * at least once a day (hours 0–23 → slices 0–15, 0–7). Ids are random (v4),
 * so slices are even. Every counter moves in the same transaction as its rows
 * (continuum_like, countPlays): drift is a safety net, found none so far.
 */
export const COUNTER_SLICES = 16;
export const counterSliceAt = (now: Date) => now.getUTCHours() % COUNTER_SLICES;

/** The id range of one slice: [lo, hi), hi null for the last. */
function sliceRange(slice: number): [string, string | null] {
  const digit = (n: number) => n.toString(16);
  const lo = `${digit(slice)}0000000-0000-0000-0000-000000000000`;
  const hi = slice + 1 < COUNTER_SLICES ? `${digit(slice + 1)}0000000-0000-0000-0000-000000000000` : null;
  return [lo, hi];
}

/**
 * Sets likes/plays/remixes counts to COUNT(*) of their rows, 500 loops per
 * transaction. The loop rows are locked first (SKIP LOCKED: a loop being liked
 * right now waits for the next run), so a like can't commit between the count
 * and the fix — its counter update needs the row lock we hold. Returns the
 * drift it fixed (normally none) and logs it.
 */
export async function reconcileStudioCounters(
  db: Db,
  /**
   * `userId` scopes a run to one owner's loops (tests, support tools); the
   * cron passes none. `slice` (0..COUNTER_SLICES-1): only that id range
   * (the cron's hourly share); none: every loop.
   */
  opts: { userId?: string; slice?: number } = {},
  /** Relays the corrected loops to their owners' devices (the cron passes the Durable Object relay). */
  relay: WriteScope["relay"] = () => {},
): Promise<Drift[]> {
  const fixed: (Drift & { owner: string })[] = [];
  const owner = ofUser(opts.userId);
  const [lo, hi] = opts.slice === undefined ? ["00000000-0000-0000-0000-000000000000", null] : sliceRange(opts.slice);
  const below = hi ? sql`id < ${hi}::uuid` : sql`true`;
  // The slice's first id is included: `after` starts just below it.
  let after: string | null = null;
  for (;;) {
    const page: { rows: unknown[] } = await db.execute(
      sql`select id from loops
          where ${after === null ? sql`id >= ${lo}::uuid` : sql`id > ${after}::uuid`} and ${below} and ${owner}
          order by id limit ${BATCH}`,
    );
    const pageIds: string[] = (page.rows as { id: string }[]).map((r) => r.id);
    if (!pageIds.length) break;
    const fixedHere = await db.transaction(async (tx) => {
      const locked = await tx.execute(
        sql`select id from loops where id in (${sql.join(
          pageIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}) for update skip locked`,
      );
      const ids = (locked.rows as { id: string }[]).map((r) => r.id);
      if (!ids.length) return [] as (Drift & { owner: string })[];
      const res = await tx.execute(sql`
        with truth as (
          select l.id, l.likes_count, l.plays_count, l.remixes_count,
            (select count(*)::int from loop_likes k where k.loop_id = l.id) as likes,
            (select count(*)::int from loop_plays p where p.loop_id = l.id) as plays,
            (select count(*)::int from loops c where c.parent_loop_id = l.id) as remixes
          from loops l where l.id in (${sql.join(
            ids.map((id) => sql`${id}::uuid`),
            sql`, `,
          )}))
        update loops set likes_count = truth.likes, plays_count = truth.plays, remixes_count = truth.remixes
        from truth
        where loops.id = truth.id
          and (truth.likes_count, truth.plays_count, truth.remixes_count) <> (truth.likes, truth.plays, truth.remixes)
        returning loops.id, loops.user_id, truth.likes_count, truth.likes, truth.plays_count, truth.plays, truth.remixes_count, truth.remixes`);
      const drift = (res.rows as Record<string, number | string>[]).map((r) => ({
        loop_id: String(r.id),
        owner: String(r.user_id),
        likes: [Number(r.likes_count), Number(r.likes)] as [number, number],
        plays: [Number(r.plays_count), Number(r.plays)] as [number, number],
        remixes: [Number(r.remixes_count), Number(r.remixes)] as [number, number],
      }));
      return drift;
    });
    fixed.push(...fixedHere);
    if (pageIds.length < BATCH) break;
    after = pageIds.at(-1)!;
  }
  // A corrected loop is a new version in its owner's change log, so devices holding the wrong
  // count get the right one (a write like any other: after the fix commits, per owner).
  for (const loopOwner of new Set(fixed.map((d) => d.owner))) {
    const ids = fixed.filter((d) => d.owner === loopOwner).map((d) => sql`${d.loop_id}::uuid`);
    await write({ db, userId: loopOwner, relay }, (w) =>
      w.log(
        "loop",
        "upsert",
        sql`update loops set version = version + 1, updated_at = now()
            where user_id = ${loopOwner} and id in (${sql.join(ids, sql`, `)}) returning loops.*`,
      ),
    );
  }
  const drift = fixed.map(({ owner: _, ...d }) => d);
  for (const d of drift) console.warn(JSON.stringify({ level: "warn", msg: "studio counter drift fixed", ...d }));
  return drift;
}
