import { For, Show } from "solid-js";
import { useNotices, useSync } from "../ui/sync-context.ts";
import UndoNotice from "./UndoNotice.tsx";

/** What a kept edit changed, in words: `title: “Buy oat milk”`. */
function describeEdit(body: unknown): string {
  if (!body || typeof body !== "object") return "";
  return Object.entries(body as Record<string, unknown>)
    .filter(([k]) => k !== "version" && k !== "id")
    .map(([k, v]) => {
      const text = Array.isArray(v) ? v.join(", ") : typeof v === "string" ? v : JSON.stringify(v);
      return `${k.replaceAll("_", " ")}: “${text.length > 80 ? `${text.slice(0, 79)}…` : text}”`;
    })
    .join(" · ");
}

/** Sync outcomes the user must hear about (server rejected or overrode a change). */
export function Notices() {
  const store = useSync();
  const notices = useNotices();
  return (
    <section class="notices" aria-label="Notifications">
      <UndoNotice />
      <ul aria-live="polite" aria-relevant="additions" role="list">
        <For each={notices()}>
          {(n) => (
            <li class="notice" data-kind={n.kind}>
              <div class="stack tight">
                <p>{n.message}</p>
                <Show when={n.mine}>
                  {(mine) => (
                    <p class="small" data-testid="kept-edit">
                      Yours: {describeEdit(mine().body)}
                    </p>
                  )}
                </Show>
              </div>
              <Show when={n.mine}>
                <button
                  type="button"
                  onClick={() => void import("../sync/restore-mine.ts").then((m) => m.restoreMine(store, n.id))}
                >
                  Use mine
                </button>
              </Show>
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
