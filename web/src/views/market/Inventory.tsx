import { createMemo, For, Show } from "solid-js";
import { refundPurchase, type ShownPurchase } from "../../mutations/market.ts";
import { relative } from "../../ui/format.ts";
import { useSync } from "../../ui/sync-context.ts";

export function Inventory(props: { purchases: readonly ShownPurchase[] }) {
  const store = useSync();
  const sorted = createMemo(() => [...props.purchases].sort((a, b) => b.created_at.localeCompare(a.created_at)));
  const refundable = (p: ShownPurchase) =>
    !p.pending && !p.refunded_at && p.refundable_until !== null && Date.parse(p.refundable_until) > store.serverNow();
  return (
    <section class="card stack" aria-labelledby="inventory-title">
      <h2 id="inventory-title">Inventory</h2>
      <Show when={sorted().length} fallback={<p class="muted">Nothing bought yet.</p>}>
        <ul class="list compact" role="list" data-testid="inventory">
          <For each={sorted()}>
            {(p) => (
              <li class="row wrap spread" data-testid="inventory-item">
                <span>
                  {p.item_name} <span class="small muted">· {p.price} coins</span>
                  <Show when={p.pending}>
                    <span class="small" role="status">
                      {" "}
                      — {p.pending === "buying" ? "waiting for the server…" : "refund waiting for the server…"}
                    </span>
                  </Show>
                  <Show when={p.refunded_at}>
                    <span class="small muted"> · refunded</span>
                  </Show>
                  <Show when={!p.pending}>
                    <span class="small muted"> · {relative(p.created_at, store.serverNow())}</span>
                  </Show>
                </span>
                <Show when={refundable(p)}>
                  <button type="button" class="ghost" onClick={() => void refundPurchase(store, p)}>
                    Refund<span class="sr-only"> {p.item_name}</span>
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
