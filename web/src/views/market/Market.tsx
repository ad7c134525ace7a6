// The Market screen (lazy-loaded): the balance, recommendations, the catalog,
// the inventory, custom rewards, achievements and the ledger. Balances and
// inventory are the synced records; the catalog, achievements and
// recommendations are read from the API and refreshed when the ledger moves.
import { createEffect, createMemo, createResource, on, Show } from "solid-js";
import { api } from "../../api/http.ts";
import type { AchievementStatus, MarketItem, Page, Recommendation } from "../../api/types.ts";
import type { ShownPurchase } from "../../mutations/market.ts";
import { useRecords, useStatus, useSync } from "../../ui/sync-context.ts";
import { Achievements } from "./Achievements.tsx";
import { Catalog } from "./Catalog.tsx";
import { CustomRewards } from "./CustomRewards.tsx";
import { Inventory } from "./Inventory.tsx";
import { Ledger } from "./Ledger.tsx";
import "./market.css";
import { Recommendations } from "./Recommendations.tsx";
import { Screen } from "../../components/Screen.tsx";

export default function Market() {
  const store = useSync();
  const wallets = useRecords("wallet");
  const purchases = useRecords("market_purchase");
  const ledger = useRecords("market_transaction");
  const customs = useRecords("market_item");
  const status = useStatus();
  const wallet = () => wallets()[0];

  // Re-read the derived lists whenever the confirmed ledger changes (a purchase, a refund, an earning).
  const ledgerSize = createMemo(() => ledger().length);
  const [catalog] = createResource(() =>
    api<Page<MarketItem>>("/api/market/items?page_size=100").then((p) => p.items.filter((i) => !i.custom)),
  );
  const [rewards, { refetch: refetchRewards }] = createResource(() =>
    api<{ items: AchievementStatus[] }>("/api/market/rewards").then((r) => r.items),
  );
  const [recs, { refetch: refetchRecs }] = createResource(() =>
    api<{ items: Recommendation[] }>("/api/market/recommendations").then((r) => r.items),
  );
  createEffect(
    on(
      ledgerSize,
      () => {
        void refetchRewards();
        void refetchRecs();
      },
      { defer: true },
    ),
  );
  // Our own write just committed: fetch the feed now rather than at the next poll,
  // so the confirmed balance replaces "Buying…" at once on phones too.
  createEffect(
    on(
      () => status().pending,
      (n, prev) => {
        if (prev !== undefined && n < prev) store.pullNow();
      },
    ),
  );

  const shown = () => purchases() as readonly ShownPurchase[];
  const pending = createMemo(() => shown().filter((p) => p.pending === "buying").length);
  const items = createMemo(() => [...customs().filter((i) => i.active), ...(catalog() ?? [])]);

  return (
    <Screen
      id="market-title"
      title="Market"
      class="market"
      actions={
        <>
          <p class="market-balance" data-testid="market-balance">
            <span class="muted">Balance</span>{" "}
            <strong>
              <Show when={wallet()} fallback="…">
                {(w) => <>{w().balance} coins</>}
              </Show>
            </strong>
            <Show when={pending()}>
              <span class="small muted" role="status">
                {" "}
                · {pending()} {pending() === 1 ? "purchase" : "purchases"} waiting for the server
              </span>
            </Show>
          </p>
        </>
      }
    >
      <p class="muted">
        Earn 1 coin per focused minute, plus bonuses for achievements. Spend them on themes, soundscapes and rewards of
        your own.
      </p>
      <div class="market-grid">
        <div class="stack">
          <Recommendations items={recs()} error={recs.error} balance={wallet()?.balance} purchases={shown()} />
          <Catalog
            items={items()}
            loading={catalog.loading}
            error={catalog.error}
            balance={wallet()?.balance}
            purchases={shown()}
          />
          <CustomRewards items={customs()} />
        </div>
        <div class="stack">
          <Inventory purchases={shown()} />
          <Achievements items={rewards()} error={rewards.error} />
          <Ledger entries={ledger()} />
        </div>
      </div>
    </Screen>
  );
}
