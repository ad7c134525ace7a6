import { createMemo, createSignal, For, Show } from "solid-js";
import type { MarketTransaction } from "../../api/types.ts";
import { dateTime } from "../../ui/format.ts";

const PAGE = 20;

/** The ledger, newest first (balance_after breaks ties within one transaction). */
export function Ledger(props: { entries: readonly MarketTransaction[] }) {
  const [shown, setShown] = createSignal(PAGE);
  const sorted = createMemo(() =>
    [...props.entries].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)),
  );
  return (
    <section class="card stack" aria-labelledby="ledger-title">
      <h2 id="ledger-title">History</h2>
      <Show when={sorted().length} fallback={<p class="muted">No coins moved yet.</p>}>
        <table class="ledger" data-testid="ledger">
          <caption class="sr-only">Coins earned and spent, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col" class="num">
                Coins
              </th>
              <th scope="col" class="num">
                Balance
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={sorted().slice(0, shown())}>
              {(t) => (
                <tr>
                  <td class="small">{dateTime(t.created_at)}</td>
                  <td>{t.description || t.kind}</td>
                  <td class={`num ${t.amount > 0 ? "plus" : "minus"}`}>{t.amount > 0 ? `+${t.amount}` : t.amount}</td>
                  <td class="num">{t.balance_after}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={sorted().length > shown()}>
          <button type="button" class="ghost" onClick={() => setShown((n) => n + PAGE)}>
            Show older entries
          </button>
        </Show>
      </Show>
    </section>
  );
}
