// Settings' accent colour: the market themes the user owns (loaded with the
// section, not with the initial bundle). Applying one syncs like the theme.
import { createMemo, For, Show } from "solid-js";
import type { Settings } from "../../api/types.ts";
import { updateSettings } from "../../mutations/settings.ts";
import { useRecords, useSync } from "../../ui/sync-context.ts";
import { ownedAccents } from "./owned.ts";

export default function AccentPicker(props: { settings: Settings }) {
  const store = useSync();
  const purchases = useRecords("market_purchase");
  const accents = createMemo(() => ownedAccents(purchases()));
  const choose = (accent: string | null) => void updateSettings(store, props.settings, { accent }, "Accent change");
  return (
    <fieldset class="card stack">
      <legend>Accent colour</legend>
      <Show
        when={accents().length}
        fallback={
          <p class="small muted">
            Accent themes are bought with focus coins in the <a href="#/market">Market</a>.
          </p>
        }
      >
        <div class="row wrap">
          <label class="choice">
            <input type="radio" name="accent" value="" checked={!props.settings.accent} onChange={() => choose(null)} />
            Default
          </label>
          <For each={accents()}>
            {(a) => (
              <label class="choice">
                <input
                  type="radio"
                  name="accent"
                  value={a.accent}
                  checked={props.settings.accent === a.accent}
                  onChange={() => choose(a.accent)}
                />
                {a.name}
              </label>
            )}
          </For>
        </div>
      </Show>
    </fieldset>
  );
}
