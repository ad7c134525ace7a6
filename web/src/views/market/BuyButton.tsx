import { Show } from "solid-js";
import type { MarketItem } from "../../api/types.ts";
import type { ShownPurchase } from "../../mutations/market.ts";

/**
 * Buy, with the state the server has confirmed: owned, pending ("Buying…"),
 * affordable, or not (then disabled, with how many coins are missing). It only
 * asks: the purchase happens in the confirmation dialog (ConfirmBuy).
 */
export function BuyButton(props: {
  item: MarketItem;
  balance: number | undefined;
  purchases: readonly ShownPurchase[];
  onBuy: (item: MarketItem) => void;
}) {
  const mine = () => props.purchases.filter((p) => p.item_id === props.item.id);
  const buying = () => mine().some((p) => p.pending === "buying");
  const owned = () => !props.item.consumable && mine().some((p) => !p.refunded_at && !p.pending);
  // Unknown balance (not loaded yet): let the server decide.
  const short = () => (props.balance === undefined ? 0 : Math.max(0, props.item.price - props.balance));
  return (
    <Show
      when={!owned()}
      fallback={
        <span class="badge" data-status="completed">
          Owned
        </span>
      }
    >
      <button
        type="button"
        class={buying() ? "ghost" : ""}
        // Can't afford it: a real `disabled`, so no click or tap can start a purchase.
        disabled={short() > 0}
        // Pending: aria-disabled, not disabled, so keyboard focus stays on it.
        aria-disabled={buying() ? "true" : undefined}
        aria-describedby={short() > 0 ? `short-${props.item.id}` : undefined}
        onClick={() => {
          if (!buying() && short() === 0) props.onBuy(props.item);
        }}
      >
        {buying() ? "Buying…" : `Buy for ${props.item.price}`}
        <span class="sr-only"> — {props.item.name}</span>
      </button>
      <Show when={short() > 0}>
        <span id={`short-${props.item.id}`} class="small muted" data-testid="coins-short">
          {short()} more {short() === 1 ? "coin" : "coins"} needed
        </span>
      </Show>
    </Show>
  );
}
