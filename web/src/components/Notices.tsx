import { For } from "solid-js";
import { useNotices, useSync } from "../ui/sync-context.ts";

/** Sync outcomes the user must hear about (server rejected or overrode a change). */
export function Notices() {
  const store = useSync();
  const notices = useNotices();
  return (
    <section class="notices" aria-label="Notifications">
      <ul aria-live="polite" aria-relevant="additions" role="list">
        <For each={notices()}>
          {(n) => (
            <li class="notice" data-kind={n.kind}>
              <p>{n.message}</p>
              <button type="button" class="ghost" onClick={() => store.dismiss(n.id)}>
                Dismiss
              </button>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
