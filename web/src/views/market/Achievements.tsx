import { For, Show } from "solid-js";
import type { AchievementStatus } from "../../api/types.ts";
import { describeError } from "../../api/http.ts";

export function Achievements(props: { items: readonly AchievementStatus[] | undefined; error: unknown }) {
  return (
    <section class="card stack" aria-labelledby="achievements-title">
      <h2 id="achievements-title">Achievements</h2>
      <Show when={props.error}>
        <p class="small" role="alert">
          Achievements couldn't be loaded ({describeError(props.error)}).
        </p>
      </Show>
      <ul class="list compact" role="list">
        <For each={props.items ?? []}>
          {(a) => (
            <li class="stack tight" data-testid="achievement" data-earned={a.earned_at ? "true" : "false"}>
              <div class="row wrap spread">
                <strong>{a.name}</strong>
                <span class="small muted">{a.earned_at ? `Earned · +${a.bonus}` : `+${a.bonus} coins`}</span>
              </div>
              <p class="small muted">{a.description}</p>
              <label class="small">
                <span class="sr-only">{a.name}: </span>
                {a.progress} of {a.target} {a.unit}
                <progress class="achievement-progress" max={a.target} value={a.progress} />
              </label>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
