/** SPEC §5 Market: wire shapes and request schemas (shared with the web app as types). */
import { z } from "zod";
import {
  type MarketEffect,
  marketItems,
  marketTransactions,
  userMarketPurchases,
  userRewards,
  userWallet,
} from "../../db/schema.ts";
import { iso, pageQuery, recordBase, recordToWire, versionField } from "./common.ts";
import { REFUND_WINDOW_MS } from "./market-rules.ts";
import { SOUNDSCAPES } from "./rules.ts";
import { defineRecord } from "./declare.ts";

export type { MarketEffect };

const effectSchema = z
  .union([
    z.object({ kind: z.literal("accent"), accent: z.string() }),
    z.object({ kind: z.literal("soundscape"), sound: z.enum(SOUNDSCAPES) }),
  ])
  .nullable();

export const marketItemSchema = z
  .object({
    ...recordBase,
    /** Catalog items have a stable slug; custom rewards have none. */
    slug: z.string().nullable(),
    name: z.string(),
    description: z.string(),
    price: z.number().int(),
    tags: z.array(z.string()),
    consumable: z.boolean(),
    active: z.boolean(),
    /** True for the user's own custom rewards. */
    custom: z.boolean(),
    effect: effectSchema,
  })
  .meta({ id: "MarketItem" });
export type MarketItem = z.infer<typeof marketItemSchema>;

export const walletSchema = z
  .object({
    ...recordBase,
    balance: z.number().int(),
    lifetime_earned: z.number().int(),
  })
  .meta({ id: "Wallet" });
export type Wallet = z.infer<typeof walletSchema>;

export const purchaseSchema = z
  .object({
    ...recordBase,
    item_id: z.string().nullable(),
    item_name: z.string(),
    price: z.number().int(),
    consumable: z.boolean(),
    effect: effectSchema,
    refunded_at: z.string().nullable(),
    /** Until when a refund is possible (null once refunded). */
    refundable_until: z.string().nullable(),
  })
  .meta({ id: "Purchase" });
export type Purchase = z.infer<typeof purchaseSchema>;

export const transactionSchema = z
  .object({
    ...recordBase,
    amount: z.number().int(),
    balance_after: z.number().int(),
    kind: z.enum(["earn", "purchase", "refund", "adjust"]),
    source_type: z.enum(["welcome", "focus_session", "achievement", "purchase", "refund", "adjust"]),
    source_id: z.string(),
    description: z.string(),
  })
  .meta({ id: "MarketTransaction" });
export type MarketTransaction = z.infer<typeof transactionSchema>;

export const rewardSchema = z
  .object({
    ...recordBase,
    achievement: z.string(),
    bonus: z.number().int(),
    earned_at: z.string(),
  })
  .meta({ id: "UserReward" });
export type UserReward = z.infer<typeof rewardSchema>;

/** GET /api/market/rewards: every achievement, earned or with its progress. */
export const achievementStatusSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    bonus: z.number().int(),
    progress: z.number().int(),
    target: z.number().int(),
    unit: z.string(),
    earned_at: z.string().nullable(),
  })
  .meta({ id: "AchievementStatus" });
export type AchievementStatus = z.infer<typeof achievementStatusSchema>;

export const recommendationSchema = z
  .object({ item: marketItemSchema, score: z.number(), reason: z.string() })
  .meta({ id: "Recommendation" });
export type Recommendation = z.infer<typeof recommendationSchema>;

// ---- requests ----------------------------------------------------------------

const name = z.string().trim().min(1).max(100);
const description = z.string().max(1000);
const tag = z.string().trim().min(1).max(30);
const tags = z.array(tag).max(10);
const price = z.number().int().min(1).max(100_000);

export const createRewardSchema = z.strictObject({
  id: z.uuid().optional(),
  name,
  price,
  description: description.optional(),
  tags: tags.optional(),
});
export type CreateReward = z.infer<typeof createRewardSchema>;

export const updateRewardSchema = z.strictObject({
  name: name.optional(),
  price: price.optional(),
  description: description.optional(),
  tags: tags.optional(),
  active: z.boolean().optional(),
  ...versionField,
});
export type UpdateReward = z.infer<typeof updateRewardSchema>;

export const purchaseRequestSchema = z.strictObject({ item_id: z.uuid(), id: z.uuid().optional() });
export type PurchaseRequest = z.infer<typeof purchaseRequestSchema>;

export const listItemsQuery = z.strictObject({ ...pageQuery, tag: tag.optional() });
export const listQuery = z.strictObject({ ...pageQuery });

// ---- rows → wire ---------------------------------------------------------------

export function marketItemToWire(row: typeof marketItems.$inferSelect): MarketItem {
  return {
    ...recordToWire(row),
    slug: row.slug,
    name: row.name,
    description: row.description,
    price: row.price,
    tags: row.tags,
    consumable: row.consumable,
    active: row.active,
    custom: row.userId !== null,
    effect: row.effect ?? null,
  };
}

export function walletToWire(row: typeof userWallet.$inferSelect): Wallet {
  return { ...recordToWire(row), balance: row.balance, lifetime_earned: row.lifetimeEarned };
}

export function purchaseToWire(row: typeof userMarketPurchases.$inferSelect): Purchase {
  return {
    ...recordToWire(row),
    item_id: row.itemId,
    item_name: row.itemName,
    price: row.price,
    consumable: row.consumable,
    effect: row.effect ?? null,
    refunded_at: iso(row.refundedAt),
    refundable_until: row.refundedAt ? null : new Date(row.createdAt.getTime() + REFUND_WINDOW_MS).toISOString(),
  };
}

export function transactionToWire(row: typeof marketTransactions.$inferSelect): MarketTransaction {
  return {
    ...recordToWire(row),
    amount: row.amount,
    balance_after: row.balanceAfter,
    kind: row.kind,
    source_type: row.sourceType,
    source_id: row.sourceId,
    description: row.description,
  };
}

export function rewardToWire(row: typeof userRewards.$inferSelect): UserReward {
  return {
    ...recordToWire(row),
    achievement: row.achievement,
    bonus: row.bonus,
    earned_at: row.earnedAt.toISOString(),
  };
}

// Only a user's own custom rewards are market_item records; the global catalog is read with GET.
export const marketItemRecord = defineRecord({
  entity: "market_item",
  table: marketItems,
  toWire: marketItemToWire,
  schema: marketItemSchema,
  label: "Market item",
});
export const walletRecord = defineRecord({
  entity: "wallet",
  table: userWallet,
  toWire: walletToWire,
  schema: walletSchema,
  label: "Wallet",
});
export const purchaseRecord = defineRecord({
  entity: "market_purchase",
  table: userMarketPurchases,
  toWire: purchaseToWire,
  schema: purchaseSchema,
  label: "Purchase",
});
export const transactionRecord = defineRecord({
  entity: "market_transaction",
  table: marketTransactions,
  toWire: transactionToWire,
  schema: transactionSchema,
  label: "Transaction",
});
export const rewardRecord = defineRecord({
  entity: "market_reward",
  table: userRewards,
  toWire: rewardToWire,
  schema: rewardSchema,
  label: "Achievement",
});
