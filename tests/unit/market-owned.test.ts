// web/src/views/market/owned.ts: what owning market items unlocks in the app.
import { describe, expect, test } from "vitest";
import type { Purchase } from "../../web/src/api/types.ts";
import { ownedAccents, ownedSoundscapes } from "../../web/src/views/market/owned.ts";

const purchase = (over: Partial<Purchase> & { pending?: string }): Purchase => ({
  id: crypto.randomUUID(),
  version: 1,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  item_id: crypto.randomUUID(),
  item_name: "Item",
  price: 100,
  consumable: false,
  effect: null,
  refunded_at: null,
  refundable_until: "2026-01-02T00:00:00.000Z",
  ...over,
});

describe("owned market effects", () => {
  test("only confirmed, unrefunded purchases unlock an accent or a soundscape", () => {
    const list = [
      purchase({ item_name: "Forest accent", effect: { kind: "accent", accent: "forest" } }),
      purchase({
        item_name: "Ocean accent",
        effect: { kind: "accent", accent: "ocean" },
        refunded_at: "2026-01-01T01:00:00Z",
      }),
      purchase({ item_name: "Rose accent", effect: { kind: "accent", accent: "rose" }, pending: "buying" }),
      purchase({ item_name: "Brown noise", effect: { kind: "soundscape", sound: "brown" } }),
      purchase({ item_name: "Coffee break", consumable: true }),
    ];
    expect(ownedAccents(list)).toEqual([{ accent: "forest", name: "Forest accent" }]);
    expect(ownedSoundscapes(list)).toEqual([{ sound: "brown", name: "Brown noise" }]);
  });

  test("a theme bought again after a refund counts once", () => {
    const effect = { kind: "accent", accent: "forest" } as const;
    const list = [
      purchase({ item_name: "Forest accent", effect, refunded_at: "2026-01-01T01:00:00Z" }),
      purchase({ item_name: "Forest accent", effect }),
    ];
    expect(ownedAccents(list)).toEqual([{ accent: "forest", name: "Forest accent" }]);
  });
});
