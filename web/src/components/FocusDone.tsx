// The "session complete" announcement (loaded when a session ends, so none of
// it is in the initial bundle): a system notification when the user allowed
// them, a short chime unless turned off, and the in-app summary.
import type { FocusSession } from "../api/types.ts";
import { focusedSeconds, minutes } from "../ui/format.ts";
import "./focus-done.css";

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

export function announce(s: FocusSession, sound: boolean): void {
  notify(`${minutes(focusedSeconds(s))} focused${s.label ? ` on “${s.label}”` : ""}.`);
  if (sound) chime();
}

export function FocusDone(props: { session: FocusSession; onClose: () => void }) {
  const s = () => props.session;
  return (
    <aside class="focus-done card" aria-labelledby="focus-done-title" data-testid="focus-summary">
      <h2 id="focus-done-title">Session complete — well done</h2>
      <p>
        {minutes(focusedSeconds(s()))} of {minutes(s().duration_s)} focused
        {s().label ? ` on “${s().label}”` : ""}. Coins for every minute are in your balance.
      </p>
      <div class="row">
        <a href="#/focus" onClick={() => props.onClose()}>
          Start another
        </a>
        <button type="button" class="ghost" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
    </aside>
  );
}
