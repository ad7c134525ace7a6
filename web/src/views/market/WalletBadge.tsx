// The balance in the header (in the initial bundle, so kept tiny): the
// server-confirmed wallet record, live over the socket or on the next poll,
// and a short "+N coins — why" note when coins are earned while this page is
// open. Rows this device already cached are not news, and neither are rows
// older than the page that the first pull after signing in brings: a reload
// or a sign-in never replays old earnings.
import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { useRecords, useSync } from "../../ui/sync-context.ts";

/** Clock slack: this device's estimate of server time is good to about a second (Date headers). */
const SLACK_MS = 5_000;

export function WalletBadge() {
  const store = useSync();
  const wallets = useRecords("wallet");
  const ledger = useRecords("market_transaction");
  const [toast, setToast] = createSignal("");
  const openedAt = store.serverNow() - SLACK_MS;
  // What this device already holds (its cache, loaded before the shell renders) is not news either.
  const seen = new Set(ledger().map((t) => t.id));
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));

  // Earnings that arrive while the note shows (one completion's minutes and bonuses may come
  // in separate batches) add up into it.
  let earned = 0;
  let why: string[] = [];
  // The list is a reconciled store (stable identity): iterating it tracks new rows.
  createEffect(() => {
    const before = earned;
    for (const t of ledger()) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      // The welcome grant is the starting balance, not news (the first-run guide explains it).
      if (t.amount > 0 && t.kind === "earn" && t.source_type !== "welcome" && Date.parse(t.created_at) >= openedAt) {
        earned += t.amount;
        why.push(t.description.replace(/^Achievement: /, ""));
      }
    }
    if (earned === before) return;
    setToast(`+${earned} coins — ${why.join(", ")}`);
    clearTimeout(timer);
    timer = setTimeout(() => {
      setToast("");
      earned = 0;
      why = [];
    }, 8000);
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
