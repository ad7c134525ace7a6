import { For, Show } from "solid-js";
import type { MarketItem, Recommendation } from "../../api/types.ts";
import type { ShownPurchase } from "../../mutations/market.ts";
import { BuyButton } from "./BuyButton.tsx";

export function Recommendations(props: {
  items: readonly Recommendation[] | undefined;
  error: unknown;
  balance: number | undefined;
  purchases: readonly ShownPurchase[];
  onBuy: (item: MarketItem) => void;
}) {
  return (
    <Show when={props.items?.length && !props.error}>
      <section class="card stack" aria-labelledby="recs-title">
        <h2 id="recs-title">Recommended for you</h2>
        <ul class="market-items" role="list">
          <For each={props.items!.slice(0, 3)}>
            {(r) => (
              <li class="market-item" data-testid="recommendation">
                <div class="stack tight">
                  <h3 class="item-name">{r.item.name}</h3>
                  <p class="small muted">{r.reason}</p>
                </div>
                <div class="item-buy">
                  <BuyButton item={r.item} balance={props.balance} purchases={props.purchases} onBuy={props.onBuy} />
                </div>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  );
}
