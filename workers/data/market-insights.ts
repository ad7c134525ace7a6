/**
 * What the market derives from a user's history, read-only: achievement
 * stats (one query) and recommendations (one query, computed on read — always
 * current, no table to keep fresh). Granting what the stats show due is a
 * write: data/market.ts `grantDueAchievements()`.
 */
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { ACHIEVEMENTS, progressOf, type MarketStats } from "../protocol/market-rules";
import type { AchievementStatus, Recommendation } from "../protocol/market";
import { marketItemToWire } from "../protocol/market";
import { rowFromRaw } from "../protocol/registry";

/** The raw stats continuum_market_stats() returns (db/migrations/0012_one_call_focus.sql). */
export interface RawStats {
  completed: number;
  focused_minutes: number;
  longest_minutes: number;
  recent: string[];
  purchases: number;
  earned: Record<string, string>;
  time_zone: string | null;
  now: string | Date;
}

export function statsOf(r: RawStats): { stats: MarketStats; earned: Record<string, string> } {
  const stats: MarketStats = {
    completedSessions: r.completed,
    focusedMinutes: r.focused_minutes,
    longestSessionMinutes: r.longest_minutes,
    recentCompletions: r.recent.map((d) => new Date(d)),
    purchases: r.purchases,
    timeZone: r.time_zone,
    now: new Date(r.now),
  };
  return { stats, earned: r.earned };
}

/** Achievement stats: one query (the SQL is continuum_market_stats(), shared with a session's completion). */
export async function readStats(db: Db | Tx, userId: string) {
  const result = await db.execute(sql`select continuum_market_stats(${userId}) as r`);
  return statsOf((result.rows[0] as { r: RawStats }).r);
}

export async function achievementStatus(db: Db, userId: string): Promise<AchievementStatus[]> {
  const { stats, earned } = await readStats(db, userId);
  return ACHIEVEMENTS.map((a) => {
    const at = earned[a.id];
    return {
      id: a.id,
      name: a.name,
      description: a.description,
      bonus: a.bonus,
      progress: at ? a.target : progressOf(a, stats),
      target: a.target,
      unit: a.unit,
      earned_at: at ? new Date(at).toISOString() : null,
    };
  });
}

export const RECOMMENDATION_LIMIT = 6;

/**
 * Unowned items the user may buy (the active catalog and their own rewards,
 * never another user's), scored by
 *   2 × owned items sharing a tag  +  1.5 × ln(1 + co-buyers)  +  ln(1 + buyers)
 * where co-buyers are other users who bought an item this user owns and this
 * one too, and buyers the users who bought it. Refunded purchases don't count.
 * Both are counted over a bounded sample of each item's most recent purchases
 * (db/migrations/0032_recommendations_sampled.sql, 0038), so a request costs the
 * same whether an item has ten buyers or a million. Ties break by id, so the
 * order is stable across calls.
 */
export async function recommend(db: Db, userId: string): Promise<Recommendation[]> {
  const result = await db.execute(sql`
    with mine as (
      select distinct p.item_id from user_market_purchases p
      where p.user_id = ${userId} and p.refunded_at is null and p.item_id is not null),
    owned as (select i.* from market_items i join mine m on m.item_id = i.id),
    candidates as (
      select i.* from market_items i
      where ((i.user_id is null and i.active) or (i.user_id = ${userId} and i.active))
        and i.id not in (select item_id from mine)),
    affinity as (
      select c.id, count(distinct o.id) as shared, min(o.name) as because,
        min((select min(t) from unnest(c.tags) t where t = any(o.tags))) as tag
      from candidates c join owned o on o.tags && c.tags
      group by c.id),
    -- Other users' purchases are out of reach (row-level security): narrow functions return counts only.
    co as (
      select cb.id, cb.buyers, (select min(o.name) from owned o where o.id = any(cb.via)) as because
      from continuum_market_co_buyers((select coalesce(array_agg(item_id), '{}') from mine)) cb),
    popular as (
      select pb.id, pb.buyers, pb.sampled from continuum_market_buyers((select coalesce(array_agg(id), '{}') from candidates)) pb)
    select to_jsonb(c) as item,
      round((2 * coalesce(a.shared, 0) + 1.5 * ln(1 + coalesce(co.buyers, 0)) + ln(1 + coalesce(p.buyers, 0)))::numeric, 3)::float8 as score,
      a.because as tag_because, a.tag as shared_tag, a.shared, co.because as co_because, co.buyers as co_buyers, p.buyers,
      p.sampled
    from candidates c
    left join affinity a on a.id = c.id
    left join co on co.id = c.id
    left join popular p on p.id = c.id
    order by score desc, c.id asc
    limit ${RECOMMENDATION_LIMIT}`);
  return (result.rows as Array<Record<string, unknown>>).map((r) => ({
    item: marketItemToWire(rowFromRaw("market_item", r.item as Record<string, unknown>)),
    score: Number(r.score),
    reason: reasonFor(r),
  }));
}

function reasonFor(r: Record<string, unknown>): string {
  // Say what the two have in common, so the link reads as a reason, not a non sequitur.
  if (r.tag_because) return `Another ${String(r.shared_tag)} item, like ${String(r.tag_because)}, which you own`;
  if (r.co_because) return `Often bought by people who also have ${String(r.co_because)}`;
  const buyers = Number(r.buyers ?? 0);
  // A full sample means more buyers than it counted: say so rather than state a smaller number as exact.
  if (buyers > 0 && r.sampled) return `Popular: bought by ${buyers}+ people`;
  if (buyers > 0) return `Popular: bought by ${buyers} ${buyers === 1 ? "person" : "people"}`;
  return "New in the market";
}
