import { createMemo, createSignal, For, lazy, onCleanup, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { FocusSession, Settings } from "../api/types.ts";
import {
  endFocus,
  newestFirst,
  pauseFocus,
  remainingNow,
  resumeFocus,
  runningSession,
  startFocus,
} from "../mutations/focus.ts";
import { updateSettings } from "../mutations/settings.ts";
import { clock, dateTime, focusedSeconds, minutes } from "../ui/format.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import { ConfirmAction } from "../components/ConfirmDelete.tsx";
import { Screen } from "../components/Screen.tsx";
import { Field } from "../components/fields.tsx";

// The soundtrack picker/player loads on demand (keeps the initial bundle small).
const FocusMusic = lazy(() => import("../components/FocusMusic.tsx"));
const FocusPresets = lazy(() => import("./FocusPresets.tsx"));

const PRESETS = [15, 25, 50, 90];
const MIN_MINUTES = LIMITS.focus.minDurationS / 60;
const MAX_MINUTES = LIMITS.focus.maxDurationS / 60;
const HISTORY = 20;

// Completing a session when its time is up, the countdown in the tab title and
// the "session complete" announcement live in components/FocusWatch.tsx: they
// work on every screen, not only this one.
export function Focus(props: { settings: Settings }) {
  const sessions = useRecords("focus_session");
  const running = createMemo(() => runningSession(sessions()));
  const history = createMemo(() =>
    sessions()
      .filter((s) => s.status === "completed" || s.status === "abandoned")
      .sort(newestFirst)
      .slice(0, HISTORY),
  );

  return (
    <Screen id="focus-title" title="Focus">
      <Show when={running()} fallback={<StartForm settings={props.settings} last={sessions()} />}>
        {(s) => <Running session={s()} />}
      </Show>
      <section aria-labelledby="history-title" class="stack">
        <h2 id="history-title">Recent sessions</h2>
        <Show when={history().length} fallback={<p class="muted">Finished sessions will show up here.</p>}>
          <ol class="list history" role="list">
            <For each={history()}>
              {(s) => (
                <li class="card history-row">
                  <span class="history-label">{s.label || "Untitled session"}</span>
                  <span class="muted">
                    {/* The focused time, not the plan: a session can end early. */}
                    {minutes(focusedSeconds(s))} of {minutes(s.duration_s)}
                  </span>
                  <span class="badge" data-status={s.status}>
                    {s.status === "completed" ? "Completed" : "Abandoned"}
                  </span>
                  <time class="muted small" datetime={s.started_at}>
                    {dateTime(s.started_at)}
                  </time>
                </li>
              )}
            </For>
          </ol>
        </Show>
      </section>
    </Screen>
  );
}

function StartForm(props: { settings: Settings; last: readonly FocusSession[] }) {
  const store = useSync();
  // Until the user picks: the length of their latest session (on any device), else 25.
  const latest = createMemo(() => [...props.last].sort(newestFirst)[0]);
  const [picked, setPicked] = createSignal<number | null>(null);
  const mins = () => picked() ?? (latest() ? Math.round(latest()!.duration_s / 60) : 25);
  const setMins = (m: number) => setPicked(m);
  const [label, setLabel] = createSignal("");
  const sound = () => props.settings.ui.focus_sound !== false;

  const start = (e: SubmitEvent) => {
    e.preventDefault();
    const m = Math.round(mins());
    if (!(m >= MIN_MINUTES && m <= MAX_MINUTES)) return;
    // The moment the user wants to know when it ends: ask once (a click is the gesture browsers require).
    if ("Notification" in window && Notification.permission === "default") void Notification.requestPermission();
    void startFocus(store, m * 60, label().trim());
  };

  return (
    <form class="card stack" onSubmit={start} aria-labelledby="start-title">
      <h2 id="start-title">Start a session</h2>
      <div class="row wrap" role="group" aria-label="Presets">
        <For each={PRESETS}>
          {(p) => (
            <button type="button" class="chip" aria-pressed={mins() === p} onClick={() => setMins(p)}>
              {p} min
            </button>
          )}
        </For>
      </div>
      <FocusPresets minutes={Math.round(mins())} onPick={(p) => setMins(p.minutes)} />
      <div class="row wrap">
        <Field for="focus-minutes" label="Minutes">
          <input
            id="focus-minutes"
            type="number"
            inputmode="numeric"
            min={MIN_MINUTES}
            max={MAX_MINUTES}
            step={1}
            required
            value={mins()}
            onInput={(e) => setMins(e.currentTarget.valueAsNumber)}
          />
        </Field>
        <Field for="focus-label" label="What are you focusing on? (optional)" grow>
          <input
            id="focus-label"
            type="text"
            maxlength={LIMITS.focus.label}
            value={label()}
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
        </Field>
      </div>
      <FocusMusic />
      <label class="choice">
        <input
          type="checkbox"
          checked={sound()}
          onChange={(e) =>
            void updateSettings(store, props.settings, { ui: { focus_sound: e.currentTarget.checked } }, "Focus sound")
          }
        />
        Play a chime when a session ends
      </label>
      <p class="small muted">
        {"Notification" in window && Notification.permission === "denied"
          ? "Notifications are blocked for this site; you'll see a summary here when a session ends."
          : "When a session ends you get a notification (if you allow it) and a summary here."}
      </p>
      <div>
        <button type="submit" class="primary">
          Start focus
        </button>
      </div>
    </form>
  );
}

function Running(props: { session: FocusSession }) {
  const store = useSync();
  const s = () => props.session;
  // Derived from server timestamps on every tick, never counted down in memory.
  const [now, setNow] = createSignal(store.serverNow());
  const timer = setInterval(() => setNow(store.serverNow()), 250);
  onCleanup(() => clearInterval(timer));

  const remaining = createMemo(() => remainingNow(s(), now()));
  const done = createMemo(() => s().status === "active" && remaining() <= 0);
  const progress = createMemo(() => Math.min(1, 1 - remaining() / s().duration_s));

  return (
    <div class="card focus-running stack" data-status={s().status}>
      <p class="muted">{s().label || "Focus session"}</p>
      <p class="timer" role="timer" aria-label={`Time left: ${clock(remaining())}`}>
        {clock(remaining())}
      </p>
      <div class="meter" aria-hidden="true">
        <div class="meter-fill" style={{ transform: `scaleX(${progress()})` }} />
      </div>
      <p class="sr-only" aria-live="polite">
        {s().status === "paused" ? "Paused" : done() ? "Time's up" : ""}
      </p>
      <p class="muted small">
        {s().status === "paused" ? "Paused — every device shows the same." : `${minutes(s().duration_s)} session`}
      </p>
      <div class="row wrap">
        <Show
          when={s().status === "paused"}
          fallback={
            <button type="button" class="primary" onClick={() => void pauseFocus(store, s())}>
              Pause
            </button>
          }
        >
          <button type="button" class="primary" onClick={() => void resumeFocus(store, s())}>
            Resume
          </button>
        </Show>
        <button type="button" onClick={() => void endFocus(store, s(), "complete")}>
          Complete
        </button>
        <ConfirmAction
          opener="Abandon"
          group="abandon this session"
          question="Abandon this session? It ends without coins."
          yes="Yes, abandon"
          no="Keep going"
          onConfirm={() => void endFocus(store, s(), "abandon")}
        />
      </div>
      <FocusMusic session={s()} />
    </div>
  );
}
