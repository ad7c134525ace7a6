import { createSignal, For, Show } from "solid-js";
import type { MarketItem } from "../../api/types.ts";
import { ConfirmDelete } from "../../components/ConfirmDelete.tsx";
import { createReward, deleteReward, updateReward } from "../../mutations/market.ts";
import { useSync } from "../../ui/sync-context.ts";

/** Rewards of the user's own ("an episode of my show"), at a price they choose; always consumable. */
export function CustomRewards(props: { items: readonly MarketItem[] }) {
  const store = useSync();
  return (
    <section class="card stack" aria-labelledby="rewards-title">
      <h2 id="rewards-title">Your rewards</h2>
      <RewardForm
        submitLabel="Add reward"
        onSubmit={(v) => void createReward(store, v)}
        idPrefix="new-reward"
        resetAfter
      />
      <ul class="list compact" role="list">
        <For each={props.items}>{(item) => <RewardRow item={item} />}</For>
      </ul>
    </section>
  );
}

function RewardRow(props: { item: MarketItem }) {
  const store = useSync();
  const [editing, setEditing] = createSignal(false);
  return (
    <li class="stack tight" data-testid="custom-reward">
      <Show
        when={editing()}
        fallback={
          <div class="row wrap spread">
            <span>
              {props.item.name} <span class="small muted">· {props.item.price} coins</span>
            </span>
            <span class="row">
              <button type="button" class="ghost" onClick={() => setEditing(true)}>
                Edit<span class="sr-only"> {props.item.name}</span>
              </button>
              <ConfirmDelete what={`“${props.item.name}”`} onConfirm={() => void deleteReward(store, props.item)} />
            </span>
          </div>
        }
      >
        <RewardForm
          idPrefix={`reward-${props.item.id}`}
          initial={props.item}
          submitLabel="Save"
          onSubmit={(v) => {
            void updateReward(store, props.item, v);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      </Show>
    </li>
  );
}

function RewardForm(props: {
  idPrefix: string;
  initial?: MarketItem;
  submitLabel: string;
  resetAfter?: boolean;
  onSubmit: (v: { name: string; price: number; description: string }) => void;
  onCancel?: () => void;
}) {
  const [error, setError] = createSignal("");
  return (
    <form
      class="row wrap reward-form"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        const name = String(data.get("name") ?? "").trim();
        const price = Number(data.get("price"));
        if (!name || name.length > 100) {
          setError("Give it a name (up to 100 characters).");
          return;
        }
        if (!Number.isInteger(price) || price < 1 || price > 100_000) {
          setError("The price is a whole number of coins from 1 to 100 000.");
          return;
        }
        setError("");
        props.onSubmit({ name, price, description: String(data.get("description") ?? "") });
        if (props.resetAfter) form.reset();
      }}
      onKeyDown={(e) => e.key === "Escape" && props.onCancel?.()}
    >
      <div class="field">
        <label for={`${props.idPrefix}-name`}>Reward</label>
        <input
          id={`${props.idPrefix}-name`}
          name="name"
          maxLength={100}
          value={props.initial?.name ?? ""}
          placeholder="An episode of my show"
          aria-invalid={error() ? "true" : undefined}
          aria-describedby={`${props.idPrefix}-error`}
        />
      </div>
      <div class="field">
        <label for={`${props.idPrefix}-price`}>Price (coins)</label>
        <input
          id={`${props.idPrefix}-price`}
          name="price"
          type="number"
          inputmode="numeric"
          min={1}
          max={100_000}
          step={1}
          value={props.initial?.price ?? 50}
        />
      </div>
      <input type="hidden" name="description" value={props.initial?.description ?? ""} />
      <div class="row">
        <button type="submit">{props.submitLabel}</button>
        <Show when={props.onCancel}>
          <button type="button" class="ghost" onClick={() => props.onCancel?.()}>
            Cancel
          </button>
        </Show>
      </div>
      <p id={`${props.idPrefix}-error`} class="field-error" role={error() ? "alert" : undefined}>
        {error()}
      </p>
    </form>
  );
}
