/**
 * The market's money movements and the rules other domains follow. Every
 * change of a balance is a wallet update and a ledger row written in the same
 * statement as the event that causes it — signup, a completed focus session,
 * an achievement, a purchase, a refund: one database call each
 * (continuum_move() in db/migrations/0011, used by continuum_signup/buy/
 * refund/end_focus/grant) — so a balance is always the sum of its ledger, and
 * the change log carries both to the user's devices.
 *
 * Guarantees and where they live:
 * - never negative: the debit is `update … where balance >= price` (Read
 *   Committed re-checks the condition after waiting on the row lock), and
 *   `CHECK (balance >= 0)` on user_wallet and on every ledger row;
 * - nothing credited twice: unique (user_id, source_type, source_id) on the ledger;
 * - a non-consumable owned once: a partial unique index on purchases;
 * - history never rewritten: a trigger refuses UPDATE/DELETE on the ledger.
 *
 * Cross-domain rules, each here once:
 * - earning for a completed focus session: the coins in continuum_end_focus()
 *   (data/focus.ts `end()` is its one caller), the achievements it completes
 *   in `grantDueAchievements()` below;
 * - an accent is applied only while owned: `ownsAccent()` guards the settings
 *   update (data/settings.ts), continuum_refund() clears it.
 */
import { and, asc, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import {
  CONSTRAINT,
  marketItems,
  marketTransactions,
  settings,
  userMarketPurchases,
  userWallet,
} from "../../db/schema";
import { AppError, idConflict, logFields, notFound, uniqueViolation } from "../errors";
import { nameUuid } from "../lib/crypto";
import { newlyEarned, REFUND_WINDOW_MS, type Achievement } from "../protocol/market-rules";
import { refusal } from "../sync/call";
import { rowFromRaw, type RowOf } from "../protocol/registry";
import type { Scope } from "../sync/scope";
import type { Writer } from "../sync/write";
import { statsOf, type RawStats } from "./market-insights";
import { paginate, paginateOwnNewest, type PageQuery } from "./paginate";

/** A stable id per (user, achievement): a second grant collides on the primary key and is a no-op. */
export const rewardId = (userId: string, achievement: string): Promise<string> =>
  nameUuid(`market-reward:${userId}:${achievement}`, 5); // version 5-style (name-based)

/**
 * After a focus session's completion (whose call returns the stats after it):
 * grants the session achievements now due, once each with their bonus, in one
 * call (continuum_grant()) — only when something is due, a handful of times
 * per account. Best effort outside a transaction: if it fails, the completion
 * stands and the next completion grants what is still due.
 */
export async function grantDueAchievements(w: Writer, userId: string, raw: RawStats): Promise<void> {
  const { stats, earned } = statsOf(raw);
  const due = newlyEarned(stats, new Set(Object.keys(earned))).filter((a) => a.id !== "first_purchase");
  if (due.length === 0) return;
  const rewards = await Promise.all(
    due.map(async (a) => ({ id: await rewardId(userId, a.id), achievement: a.id, bonus: a.bonus, name: a.name })),
  );
  await w
    .call(sql`select continuum_grant(${userId}, ${JSON.stringify(rewards)}::jsonb, ${w.idempotencyKey}) as r`)
    .catch((err: unknown) =>
      console.warn(JSON.stringify({ level: "warn", msg: "granting achievements failed", ...logFields(err) })),
    );
}

/** An accent may only be applied while the user owns (and hasn't refunded) a theme with it. */
export const ownsAccent = (accent: string) => sql`exists (
  select 1 from ${userMarketPurchases} p
  where p.user_id = ${settings.userId} and p.refunded_at is null
    and p.effect->>'kind' = 'accent' and p.effect->>'accent' = ${accent})`;

export async function findWallet(db: Db | Tx, userId: string) {
  const [row] = await db.select().from(userWallet).where(eq(userWallet.userId, userId)).limit(1);
  if (!row) throw notFound("Wallet");
  return row;
}

/** Items a user may see and buy: the active catalog and their own custom rewards. */
const visibleTo = (userId: string) =>
  or(and(isNull(marketItems.userId), eq(marketItems.active, true)), eq(marketItems.userId, userId));

export function listItems(db: Db, userId: string, q: PageQuery & { tag?: string | undefined }) {
  const where = and(visibleTo(userId), q.tag ? sql`${q.tag.toLowerCase()} = any(${marketItems.tags})` : undefined);
  // Own rewards first (newest first), then the catalog by price.
  const custom = sql`(${marketItems.userId} is null)`;
  return paginate(
    db,
    marketItems,
    { where, orderBy: [asc(custom), desc(marketItems.createdAt), asc(marketItems.price), asc(marketItems.id)] },
    q,
  );
}

/** A custom reward's client-chosen id must not be a catalog item's or another user's (ids of items are global). */
export async function assertItemIdFree(db: Db | Tx, _userId: string, id: string) {
  // Another user's reward is invisible here (row-level security): a narrow function answers for all items.
  const taken = await db.execute<{ taken: boolean }>(sql`select continuum_market_item_taken(${id}::uuid) as taken`);
  if (taken.rows[0]?.taken)
    throw new AppError(409, "id_conflict", "This id is not available; choose another (or omit it).");
}

/** The ledger, newest first. */
export const listLedger = (db: Db, userId: string, q: PageQuery) =>
  paginateOwnNewest(db, marketTransactions, marketTransactions.createdAt, userId, q);

export const listPurchases = (db: Db, userId: string, q: PageQuery) =>
  paginateOwnNewest(db, userMarketPurchases, userMarketPurchases.createdAt, userId, q);

// ---- purchases ---------------------------------------------------------------

export const insufficientFunds = (price: number) =>
  new AppError(409, "insufficient_funds", `This costs ${price} coins — more than your balance.`);
export const alreadyOwned = () => new AppError(409, "already_owned", "You already own this item.");

/** The 4xx for a refusal raised by continuum_buy() / continuum_refund(). */
function marketRefusal(err: unknown): AppError | undefined {
  const r = refusal(err);
  if (!r) return undefined;
  switch (r.code) {
    case "insufficient_funds":
      return insufficientFunds(Number(r.detail));
    case "already_owned":
      return alreadyOwned();
    case "id_conflict":
      return idConflict();
    case "market_item_not_found":
      return notFound("Market item");
    case "purchase_not_found":
      return notFound("Purchase");
    case "already_refunded":
      return new AppError(409, "already_refunded", "This purchase has already been refunded.");
    case "refund_window_closed":
      return new AppError(409, "refund_window_closed", "Purchases can be refunded within 24 hours only.");
    default:
      return undefined;
  }
}

export type PurchaseResult = {
  created: boolean;
  purchase: RowOf<"market_purchase">;
  wallet: RowOf<"wallet">;
};

interface RawPurchase {
  created?: boolean;
  purchase: Record<string, unknown>;
  wallet: Record<string, unknown>;
}
const purchaseOf = (r: RawPurchase) => ({
  purchase: rowFromRaw("market_purchase", r.purchase),
  wallet: rowFromRaw("wallet", r.wallet),
});

/**
 * Buys an item in ONE statement (continuum_buy(), db/migrations/
 * 0009_one_call_writes.sql): the purchase row, the conditional debit and its
 * ledger row, and the first-purchase bonus, once. Every refusal (404, 409
 * already_owned / insufficient_funds / id_conflict) raises, so nothing of it
 * commits; a repeated client id returns the first purchase (`created` false).
 */
export async function buy(
  scope: Scope,
  req: { itemId: string; id?: string | undefined },
  firstPurchase: Achievement,
): Promise<PurchaseResult> {
  const id = req.id ?? crypto.randomUUID();
  const reward = await rewardId(scope.userId, firstPurchase.id);
  try {
    const r = await scope.call<RawPurchase>(
      sql`select continuum_buy(${scope.userId}, ${req.itemId}, ${id}, ${scope.idempotencyKey},
          ${reward}, ${firstPurchase.id}, ${firstPurchase.bonus}, ${firstPurchase.name}) as r`,
    );
    return { created: r.created === true, ...purchaseOf(r) };
  } catch (err) {
    // A parallel purchase of the same non-consumable won the race.
    if (uniqueViolation(err) === CONSTRAINT.purchaseOwnedOnce) throw alreadyOwned();
    throw marketRefusal(err) ?? err;
  }
}

/**
 * Refunds a purchase within 24 h, once, in ONE statement (continuum_refund()):
 * marks it refunded and credits the price back with a correcting ledger row;
 * an applied accent it bought is switched off in the same statement.
 */
export async function refund(scope: Scope, id: string): Promise<Omit<PurchaseResult, "created">> {
  try {
    const r = await scope.call<RawPurchase>(
      sql`select continuum_refund(${scope.userId}, ${id}, ${scope.idempotencyKey}, ${REFUND_WINDOW_MS / 1000}) as r`,
    );
    return purchaseOf(r);
  } catch (err) {
    throw marketRefusal(err) ?? err;
  }
}
