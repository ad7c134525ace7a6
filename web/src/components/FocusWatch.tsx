// A running focus session, watched from every screen (in the shell, so in the
// initial bundle: keep it small). It keeps the countdown in the tab title,
// completes the session when its time is up (whichever visible device sees it
// first), and announces a finished session: a system notification when the
// user allowed them, a short chime unless turned off (settings.ui.focus_sound),
// and an in-app summary.
import { createEffect, createMemo, createSignal, onCleanup, Show } from "solid-js";
import type { FocusSession, Settings } from "../api/types.ts";
import { endFocus, remainingNow } from "../mutations/focus.ts";
import { clock, focusedSeconds, minutes } from "../ui/format.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";

/** Sessions this tab already asked to complete when their time ran out. */
const autoCompleted = new Set<string>();

export const isRunning = (s: FocusSession) => s.status === "active" || s.status === "paused";

/** The chime: two soft sine notes made in the page (no audio file to fetch). */
function chime() {
  const Ctx = window.AudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  const t = ctx.currentTime;
  for (const [i, hz] of [660, 880].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, t + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.25, t + i * 0.25 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.25 + 0.6);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t + i * 0.25);
    osc.stop(t + i * 0.25 + 0.65);
  }
  setTimeout(() => void ctx.close(), 1200);
}

function notify(text: string) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    // One notification per session even with several tabs open.
    const shown = new Notification("Focus session complete", { body: text, tag: "continuum-focus" });
    shown.addEventListener("click", () => window.focus());
  } catch {
    /* some phones allow notifications only from a service worker: the in-app summary remains */
  }
}

export function FocusWatch(props: { screen: string; settings: Settings }) {
  const store = useSync();
  const sessions = useRecords("focus_session");
  const running = createMemo(
    () =>
      sessions()
        .filter(isRunning)
        .sort((a, b) => b.started_at.localeCompare(a.started_at))[0],
  );
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
        const text = `${minutes(focusedSeconds(s))} focused${s.label ? ` on “${s.label}”` : ""}.`;
        setFinished(s);
        notify(text);
        if (props.settings.ui.focus_sound !== false) chime();
      }
    }
  });

  return (
    // Always present, so the summary inserted into it is announced.
    <div aria-live="polite">
      <Show when={finished()}>
        {(s) => (
          <aside class="focus-done card" aria-labelledby="focus-done-title" data-testid="focus-summary">
            <h2 id="focus-done-title">Session complete — well done</h2>
            <p>
              {minutes(focusedSeconds(s()))} of {minutes(s().duration_s)} focused
              {s().label ? ` on “${s().label}”` : ""}. Coins for every minute are in your balance.
            </p>
            <div class="row">
              <a class="button" href="#/focus" onClick={() => setFinished(null)}>
                Start another
              </a>
              <button type="button" class="ghost" onClick={() => setFinished(null)}>
                Close
              </button>
            </div>
          </aside>
        )}
      </Show>
    </div>
  );
}
