// A running focus session, watched from every screen (in the shell, a chunk of
// its own loaded right after the first paint). It keeps the countdown in the tab title,
// completes the session when its time is up (whichever visible device sees it
// first), and announces a finished session (FocusDone.tsx, loaded then): a
// system notification when the user allowed them, a short chime unless turned
// off (settings.ui.focus_sound), and an in-app summary.
import { createEffect, createMemo, createSignal, lazy, onCleanup, Show } from "solid-js";
import type { FocusSession, Settings } from "../api/types.ts";
import { endFocus, isRunning, remainingNow, runningSession } from "../mutations/focus.ts";
import { clock } from "../ui/format.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";

const done = () => import("./FocusDone.tsx");
const FocusDone = lazy(() => done().then((m) => ({ default: m.FocusDone })));

/** Sessions this tab already asked to complete when their time ran out. */
const autoCompleted = new Set<string>();

export function FocusWatch(props: { screen: string; settings: Settings }) {
  const store = useSync();
  const sessions = useRecords("focus_session");
  const running = createMemo(() => runningSession(sessions()));
  const [now, setNow] = createSignal(store.serverNow());
  createEffect(() => {
    if (!running()) return;
    const timer = setInterval(() => setNow(store.serverNow()), 250);
    onCleanup(() => clearInterval(timer));
  });
  const remaining = () => {
    const s = running();
    return s ? remainingNow(s, now()) : 0;
  };

  // Time's up: complete it. The key is derived from the session, so several
  // devices doing it at once replay one request instead of conflicting.
  createEffect(() => {
    const s = running();
    if (!s || s.status !== "active" || remaining() > 0) return;
    if (document.visibilityState === "visible" && !autoCompleted.has(s.id)) {
      autoCompleted.add(s.id);
      void endFocus(store, s, "complete", { key: `focus-complete-${s.id}` });
    }
  });

  createEffect(() => {
    const s = running();
    document.title = s
      ? `${clock(remaining())} · ${s.status === "paused" ? "Paused" : "Focus"} — Continuum`
      : `${props.screen} — Continuum`;
  });

  // Announce a session this page saw running once it is completed (here or on another device).
  const watched = new Set<string>();
  const [finished, setFinished] = createSignal<FocusSession | null>(null);
  createEffect(() => {
    for (const s of sessions()) {
      if (isRunning(s)) watched.add(s.id);
      else if (watched.delete(s.id) && s.status === "completed") {
        setFinished(s);
        const sound = props.settings.ui.focus_sound !== false;
        void done().then((m) => m.announce(s, sound));
      }
    }
  });

  return (
    // Always present, so the summary inserted into it is announced.
    <div aria-live="polite">
      <Show when={finished()}>{(s) => <FocusDone session={s()} onClose={() => setFinished(null)} />}</Show>
    </div>
  );
}
