// The Market screen (lazy-loaded): the balance, recommendations, the catalog,
// the inventory, custom rewards, achievements and the ledger. Balances and
// inventory are the synced records; the catalog, achievements and
// recommendations are read from the API (with this device's last copy when
// offline, api/cached-read.ts). Recommendations are read once per visit: a
// purchase must never reorder the list under the pointer.
import { createEffect, createMemo, createSignal, on, Show } from "solid-js";
import { cachedRead } from "../../api/cached-read.ts";
import type { AchievementStatus, MarketItem, Page, Recommendation } from "../../api/types.ts";
import { buyItem, type ShownPurchase } from "../../mutations/market.ts";
import type { ScreenProps } from "../../ui/screen-props.ts";
import { relative } from "../../ui/format.ts";
import { useRecords, useStatus, useSync } from "../../ui/sync-context.ts";
import { Achievements } from "./Achievements.tsx";
import { Catalog } from "./Catalog.tsx";
import { ConfirmBuy } from "./ConfirmBuy.tsx";
import { CustomRewards } from "./CustomRewards.tsx";
import { Inventory } from "./Inventory.tsx";
import { Ledger } from "./Ledger.tsx";
import "./market.css";
import { Recommendations } from "./Recommendations.tsx";
import { Screen } from "../../components/Screen.tsx";

/** One API read as signals: never throws into the render (an offline visit must not raise page errors). */
function useRead<T>(userId: string, path: string) {
  const [value, setValue] = createSignal<T>();
  const [error, setError] = createSignal<unknown>();
  const [savedAt, setSavedAt] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(true);
  const load = () => {
    setLoading(true);
    cachedRead<T>(userId, path)
      .then((r) => {
        setValue(() => r.value);
        setSavedAt(r.savedAt);
        setError(undefined);
      })
      .catch((err: unknown) => setError(() => err))
      .finally(() => setLoading(false));
  };
  load();
  return { value, error, savedAt, loading, load };
}

export default function Market(props: ScreenProps) {
  const store = useSync();
  const wallets = useRecords("wallet");
  const purchases = useRecords("market_purchase");
  const ledger = useRecords("market_transaction");
  const customs = useRecords("market_item");
  const status = useStatus();
  const wallet = () => wallets()[0];
  const uid = props.user.id;

  const catalog = useRead<Page<MarketItem>>(uid, "/api/market/items?page_size=100");
  const rewards = useRead<{ items: AchievementStatus[] }>(uid, "/api/market/rewards");
  const recs = useRead<{ items: Recommendation[] }>(uid, "/api/market/recommendations");
  // Achievements follow the confirmed ledger (a purchase, a refund, an earning); recommendations don't (see top).
  const ledgerSize = createMemo(() => ledger().length);
  createEffect(on(ledgerSize, () => rewards.load(), { defer: true }));
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
  const builtIn = () => (catalog.value()?.items ?? []).filter((i) => !i.custom);
  const items = createMemo(() => [...customs().filter((i) => i.active), ...builtIn()]);
  const offlineCopy = () => catalog.savedAt() ?? recs.savedAt() ?? rewards.savedAt();
  const [asking, setAsking] = createSignal<MarketItem | null>(null);

  return (
    <Screen
      id="market-title"
      title="Market"
      class="market"
      actions={
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
      }
    >
      <p class="muted">
        Earn 1 coin per focused minute, plus bonuses for achievements. Spend them on themes, soundscapes and rewards of
        your own.
      </p>
      <Show when={offlineCopy()}>
        {(at) => (
          <p class="small muted" role="status" data-testid="market-offline">
            Offline — showing what this device saved {relative(at())}. Purchases wait until you're back online.
          </p>
        )}
      </Show>
      <div class="market-grid">
        <div class="stack">
          <Recommendations
            items={recs.value()?.items}
            error={recs.error()}
            balance={wallet()?.balance}
            purchases={shown()}
            onBuy={setAsking}
          />
          <Catalog
            items={items()}
            loading={catalog.loading()}
            error={catalog.error()}
            balance={wallet()?.balance}
            purchases={shown()}
            onBuy={setAsking}
          />
          <CustomRewards items={customs()} />
        </div>
        <div class="stack">
          <Inventory purchases={shown()} />
          <Achievements items={rewards.value()?.items} error={rewards.error()} />
          <Ledger entries={ledger()} />
        </div>
      </div>
      <ConfirmBuy
        item={asking()}
        balance={wallet()?.balance}
        onConfirm={(item) => void buyItem(store, item)}
        onClose={() => setAsking(null)}
      />
    </Screen>
  );
}
