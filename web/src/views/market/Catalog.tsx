import { createMemo, createSignal, For, Show } from "solid-js";
import type { MarketItem } from "../../api/types.ts";
import { describeError } from "../../api/http.ts";
import type { ShownPurchase } from "../../mutations/market.ts";
import { Field } from "../../components/fields.tsx";
import { BuyButton } from "./BuyButton.tsx";

export function Catalog(props: {
  items: readonly MarketItem[];
  loading: boolean;
  error: unknown;
  balance: number | undefined;
  purchases: readonly ShownPurchase[];
  onBuy: (item: MarketItem) => void;
}) {
  const [tag, setTag] = createSignal("");
  const tags = createMemo(() => [...new Set(props.items.flatMap((i) => i.tags))].sort());
  const shown = createMemo(() => (tag() ? props.items.filter((i) => i.tags.includes(tag())) : props.items));
  return (
    <section class="card stack" aria-labelledby="catalog-title">
      <div class="row wrap spread">
        <h2 id="catalog-title">Catalog</h2>
        <Field for="market-tag" label="Filter by tag" inline>
          <select id="market-tag" value={tag()} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">All</option>
            <For each={tags()}>{(t) => <option value={t}>{t}</option>}</For>
          </select>
        </Field>
      </div>
      <Show when={props.error}>
        <p class="small" role="alert">
          The catalog couldn't be loaded ({describeError(props.error)}). Your inventory and rewards still work.
        </p>
      </Show>
      <Show when={!props.loading || props.items.length} fallback={<p class="muted">Loading the catalog…</p>}>
        <ul class="market-items" role="list" aria-live="polite">
          <For each={shown()}>
            {(item) => (
              <li class="market-item" data-testid="market-item" data-slug={item.slug ?? item.id}>
                <div class="stack tight">
                  <h3 class="item-name">{item.name}</h3>
                  <Show when={item.description}>
                    <p class="small muted">{item.description}</p>
                  </Show>
                  <p class="small muted">
                    {item.custom ? "Your reward" : item.tags.join(" · ")}
                    {item.consumable ? "" : " · yours to keep"}
                  </p>
                </div>
                <div class="item-buy">
                  <BuyButton item={item} balance={props.balance} purchases={props.purchases} onBuy={props.onBuy} />
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
