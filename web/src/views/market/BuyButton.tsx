import { Show } from "solid-js";
import type { MarketItem } from "../../api/types.ts";
import { buyItem, type ShownPurchase } from "../../mutations/market.ts";
import { useSync } from "../../ui/sync-context.ts";

/**
 * Buy, with the state the server has confirmed: owned, pending ("Buying…"),
 * or affordable. The balance itself is never changed here.
 */
export function BuyButton(props: {
  item: MarketItem;
  balance: number | undefined;
  purchases: readonly ShownPurchase[];
}) {
  const store = useSync();
  const mine = () => props.purchases.filter((p) => p.item_id === props.item.id);
  const buying = () => mine().some((p) => p.pending === "buying");
  const owned = () => !props.item.consumable && mine().some((p) => !p.refunded_at && !p.pending);
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
        // aria-disabled, not disabled: a disabled button would drop keyboard focus to the page.
        aria-disabled={buying() ? "true" : undefined}
        aria-describedby={short() > 0 ? `short-${props.item.id}` : undefined}
        onClick={() => {
          // Offline or unsure: it still queues; the server decides and a refusal comes back as a notice.
          if (!buying()) void buyItem(store, props.item);
        }}
      >
        {buying() ? "Buying…" : `Buy for ${props.item.price}`}
        <span class="sr-only"> — {props.item.name}</span>
      </button>
      <Show when={short() > 0}>
        <span id={`short-${props.item.id}`} class="small muted">
          {short()} more coins needed
        </span>
      </Show>
    </Show>
  );
}
