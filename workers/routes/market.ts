/**
 * SPEC §5 Market: the catalog and custom rewards (plain CRUD), the wallet,
 * purchases and refunds, the ledger, achievements and recommendations. The
 * money rules live in data/market.ts; these handlers validate, call, respond.
 */
import type { Context } from "hono";
import { z } from "zod";
import { assertItemIdFree, buy, findWallet, listItems, listLedger, listPurchases, refund } from "../data/market";
import { achievementStatus, recommend } from "../data/market-insights";
import type { AppEnv, IdempotencyOutcome } from "../env";
import { crudRoutes, getRoute, listRoute } from "../http/crud";
import { createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { normalizeTags } from "../protocol/inbox";
import {
  achievementStatusSchema,
  createRewardSchema,
  listItemsQuery,
  listQuery,
  marketItemSchema,
  purchaseRequestSchema,
  purchaseSchema,
  purchaseToWire,
  recommendationSchema,
  transactionSchema,
  transactionToWire,
  updateRewardSchema,
  walletSchema,
  walletToWire,
} from "../protocol/market";
import { ACHIEVEMENTS } from "../protocol/market-rules";
import { assertId } from "../sync/write";
import { scopeOf } from "../http/record";
import { rowFromRaw, type RowOf } from "../protocol/registry";

const FIRST_PURCHASE = ACHIEVEMENTS.find((a) => a.id === "first_purchase")!;
const tags = ["Market"];

/** GET lists the active catalog and the user's own rewards; the rest only ever touches the user's own rewards. */
export const marketItems = createApi();
crudRoutes(marketItems, {
  pipelined: true,
  entity: "market_item",
  tag: "Market",
  name: "MarketItem",
  schemas: { record: marketItemSchema, create: createRewardSchema, update: updateRewardSchema, list: listItemsQuery },
  list: listItems,
  toInsert: (b) => ({
    name: b.name,
    price: b.price,
    description: b.description ?? "",
    tags: normalizeTags(b.tags ?? []),
    consumable: true,
  }),
  toUpdate: ({ tags: t, ...rest }) => ({ ...rest, ...(t ? { tags: normalizeTags(t) } : {}) }),
  // Item ids are global (catalog items have no owner): a client id already taken elsewhere is a 409.
  check: {
    needed: (b) => "id" in b && Boolean(b.id),
    run: (w, userId, b) => assertItemIdFree(w.db, userId, (b as { id: string }).id),
  },
});

export const market = createApi();

const purchaseResult = z.object({ purchase: purchaseSchema, wallet: walletSchema });
const sendPurchase = (
  c: Context,
  r: { purchase: RowOf<"market_purchase">; wallet: RowOf<"wallet"> },
  status: 200 | 201 = 200,
) => c.json({ purchase: purchaseToWire(r.purchase), wallet: walletToWire(r.wallet) }, status);

register(
  market,
  route({
    pipelined: true,
    method: "get",
    path: "/wallet",
    tags,
    operationId: "getWallet",
    responses: { 200: jsonContent(walletSchema, "The balance (the sum of the ledger) and lifetime earnings") },
    errors: [404],
  }),
  async (c) => {
    const row = await findWallet(c.var.db, c.var.user.id);
    c.header("ETag", `"${row.version}"`);
    return c.json(walletToWire(row));
  },
);

/** A purchase or refund answered again from its committed outcome: the purchase and the wallet as written. */
const rebuildPurchase =
  (status: 200 | 201) =>
  async (c: Context<AppEnv>, outcome: IdempotencyOutcome): Promise<Response> => {
    const purchase = outcome.rows?.market_purchase;
    const wallet = outcome.rows?.wallet;
    if (!purchase || !wallet) throw new Error("purchase outcome without its purchase and wallet");
    return sendPurchase(
      c,
      { purchase: rowFromRaw("market_purchase", purchase), wallet: rowFromRaw("wallet", wallet) },
      status,
    );
  };

register(
  market,
  route({
    pipelined: true,
    method: "post",
    path: "/purchases",
    rebuild: rebuildPurchase(201),
    tags,
    operationId: "buyMarketItem",
    description:
      "One transaction: conditional debit, purchase, ledger row. 409 `insufficient_funds` / `already_owned` change nothing; a repeated client `id` returns the first purchase (200).",
    request: jsonRequest(purchaseRequestSchema),
    responses: {
      201: jsonContent(purchaseResult, "The purchase and the wallet after it"),
      200: jsonContent(purchaseResult, "The same purchase again (repeated id)"),
    },
    errors: [400, 404, 413, 415],
  }),
  async (c) => {
    const body = c.req.valid("json");
    const result = await buy(scopeOf(c), { itemId: body.item_id, id: body.id }, FIRST_PURCHASE);
    return sendPurchase(c, result, result.created ? 201 : 200);
  },
);

listRoute(market, {
  pipelined: true,
  path: "/purchases",
  tag: "Market",
  operationId: "listPurchases",
  description: "Inventory, newest first (refunded ones included).",
  record: purchaseSchema,
  query: listQuery,
  list: listPurchases,
  toWire: purchaseToWire,
});

getRoute(market, {
  pipelined: true,
  path: "/purchases/{id}",
  tag: "Market",
  operationId: "getPurchase",
  entity: "market_purchase",
  record: purchaseSchema,
});

register(
  market,
  route({
    pipelined: true,
    method: "post",
    path: "/purchases/{id}/refund",
    rebuild: rebuildPurchase(200),
    tags,
    operationId: "refundPurchase",
    description:
      "Within 24 h, once, by a correcting ledger row; 409 `already_refunded` or `refund_window_closed` otherwise.",
    request: { params: idParam("id") },
    responses: { 200: jsonContent(purchaseResult, "The refunded purchase and the wallet after it") },
    errors: [400, 404],
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    assertId("market_purchase", id);
    return sendPurchase(c, await refund(scopeOf(c), id));
  },
);

listRoute(market, {
  pipelined: true,
  path: "/transactions",
  tag: "Market",
  operationId: "listTransactions",
  description: "The ledger, newest first.",
  record: transactionSchema,
  query: listQuery,
  list: listLedger,
  toWire: transactionToWire,
});

register(
  market,
  route({
    pipelined: true,
    method: "get",
    path: "/rewards",
    tags,
    operationId: "listAchievements",
    responses: {
      200: jsonContent(
        z.object({ items: z.array(achievementStatusSchema) }),
        "Every achievement with its bonus and earned_at or progress",
      ),
    },
  }),
  async (c) => c.json({ items: await achievementStatus(c.var.db, c.var.user.id) }),
);

register(
  market,
  route({
    pipelined: true,
    method: "get",
    path: "/recommendations",
    tags,
    operationId: "listRecommendations",
    description: "Unowned items scored by tag affinity, co-purchases and popularity; score, then id.",
    responses: { 200: jsonContent(z.object({ items: z.array(recommendationSchema) }), "Recommendations") },
  }),
  async (c) => c.json({ items: await recommend(c.var.db, c.var.user.id) }),
);
