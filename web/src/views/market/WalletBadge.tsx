// The balance in the header (in the initial bundle, so kept tiny): the
// server-confirmed wallet record, live over the socket or on the next poll,
// and a short "+N coins" announcement when coins arrive from anywhere.
import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { useRecords, useSync } from "../../ui/sync-context.ts";

/** Earnings older than this when they first reach this device are history, not news. */
const FRESH_MS = 120_000;

export function WalletBadge() {
  const store = useSync();
  const wallets = useRecords("wallet");
  const ledger = useRecords("market_transaction");
  const [toast, setToast] = createSignal("");
  const seen = new Set(ledger().map((t) => t.id));
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));

  // The list is a reconciled store (stable identity): iterating it tracks new rows.
  createEffect(() => {
    let earned = 0;
    for (const t of ledger()) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      if (t.amount > 0 && t.kind === "earn" && store.serverNow() - Date.parse(t.created_at) < FRESH_MS)
        earned += t.amount;
    }
    if (!earned) return;
    setToast(`+${earned} coins`);
    clearTimeout(timer);
    timer = setTimeout(() => setToast(""), 6000);
  });

  return (
    <Show when={wallets()[0]}>
      {(w) => (
        <a class="wallet-badge" href="#/market" data-testid="wallet-badge">
          <span aria-hidden="true">◎ </span>
          {w().balance}
          <span class="sr-only"> coins — open the Market</span>
          <span class="wallet-toast" role="status" data-testid="coin-toast">
            {toast()}
          </span>
        </a>
      )}
    </Show>
  );
}
