// Market writes as sync mutations. Coins are never shown before the server
// confirms them: a purchase or refund shows as pending on its own record, and
// the balance changes only when the wallet record arrives from the feed. A
// refused purchase (e.g. 409 insufficient_funds after an offline queue) is
// dropped from the outbox with a notice that says why.
import type { MarketItem, Purchase, UpdateReward } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";
import { createRecord, deleteRecord, editRecord, enqueue, iso, newRecord, path, quote } from "./record.ts";

/** A purchase as the views show it: the server's record, or a pending one of ours. */
export type ShownPurchase = Purchase & { pending?: "buying" | "refunding" };

export function buyItem(store: SyncStore, item: MarketItem) {
  const id = uuid();
  const now = iso(store.serverNow());
  const pending: ShownPurchase = {
    id,
    version: 0,
    created_at: now,
    updated_at: now,
    item_id: item.id,
    item_name: item.name,
    price: item.price,
    consumable: item.consumable,
    effect: item.effect,
    refunded_at: null,
    refundable_until: null,
    pending: "buying",
  };
  return enqueue(store, {
    method: "POST",
    path: "/api/market/purchases",
    // The client-chosen id makes a retry (even with a lost key) the same purchase.
    body: { item_id: item.id, id },
    entity: "market_purchase",
    id,
    optimistic: { op: "upsert", data: pending },
    label: `Buying ${quote(item.name)}`,
  });
}

export function refundPurchase(store: SyncStore, p: Purchase) {
  const refunding: ShownPurchase = { ...p, pending: "refunding" };
  return enqueue(store, {
    method: "POST",
    path: `/api/market/purchases/${encodeURIComponent(p.id)}/refund`,
    entity: "market_purchase",
    id: p.id,
    optimistic: { op: "upsert", data: refunding },
    label: `Refund of ${quote(p.item_name)}`,
    // Several devices refunding the same purchase are one refund: the server answers 409 to the rest.
    key: `refund:${p.id}`,
  });
}

export function createReward(store: SyncStore, input: { name: string; price: number; description: string }) {
  const item = newRecord(store, "market_item", {
    slug: null,
    name: input.name,
    description: input.description,
    price: input.price,
    tags: [],
    consumable: true,
    active: true,
    custom: true,
    effect: null,
  });
  return createRecord(store, "market_item", {
    path: "/api/market/items",
    record: item,
    body: { name: input.name, price: input.price, description: input.description },
    label: `Create reward ${quote(input.name)}`,
  });
}

export function updateReward(store: SyncStore, item: MarketItem, patch: UpdateReward) {
  return editRecord(store, "market_item", {
    path: path`/api/market/items/${item.id}`,
    current: item,
    patch,
    label: `Edit reward ${quote(item.name)}`,
  });
}

export function deleteReward(store: SyncStore, item: MarketItem) {
  return deleteRecord(store, "market_item", {
    path: path`/api/market/items/${item.id}`,
    current: item,
    label: `Delete reward ${quote(item.name)}`,
  });
}
