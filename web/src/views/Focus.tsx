import { createEffect, createMemo, createSignal, For, lazy, onCleanup, Show } from "solid-js";
import { LIMITS } from "@protocol/rules.ts";
import type { FocusSession } from "../api/types.ts";
import { endFocus, pauseFocus, remainingNow, resumeFocus, startFocus } from "../mutations/focus.ts";
import { clock, dateTime, focusedSeconds, minutes } from "../ui/format.ts";
import { useRecords, useSync } from "../ui/sync-context.ts";
import { Screen } from "../components/Screen.tsx";
import { Field } from "../components/fields.tsx";

// The soundtrack picker/player loads on demand (keeps the initial bundle small).
const FocusMusic = lazy(() => import("../components/FocusMusic.tsx"));

const PRESETS = [15, 25, 50, 90];
const MIN_MINUTES = LIMITS.focus.minDurationS / 60;
const MAX_MINUTES = LIMITS.focus.maxDurationS / 60;
const HISTORY = 20;
/** Sessions this tab already asked to complete when their time ran out. */
const autoCompleted = new Set<string>();

export function Focus() {
  const sessions = useRecords("focus_session");
  const running = createMemo(
    () =>
      sessions()
        .filter((s) => s.status === "active" || s.status === "paused")
        .sort((a, b) => b.started_at.localeCompare(a.started_at))[0],
  );
  const history = createMemo(() =>
    sessions()
      .filter((s) => s.status === "completed" || s.status === "abandoned")
      .sort((a, b) => b.started_at.localeCompare(a.started_at))
      .slice(0, HISTORY),
  );

  return (
    <Screen id="focus-title" title="Focus">
      <Show when={running()} fallback={<StartForm />}>
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

function StartForm() {
  const store = useSync();
  const [mins, setMins] = createSignal(25);
  const [label, setLabel] = createSignal("");

  const start = (e: SubmitEvent) => {
    e.preventDefault();
    const m = Math.round(mins());
    if (!(m >= MIN_MINUTES && m <= MAX_MINUTES)) return;
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

  // Time's up: whichever visible device sees it first completes the session.
  // The key is derived from the session, so several devices doing it at once
  // replay one request instead of conflicting.
  createEffect(() => {
    now(); // re-check each tick: a hidden tab completes once it becomes visible
    const id = s().id;
    if (done() && document.visibilityState === "visible" && !autoCompleted.has(id)) {
      autoCompleted.add(id);
      void endFocus(store, s(), "complete", { key: `focus-complete-${id}` });
    }
  });

  const title = document.title;
  createEffect(() => {
    document.title = `${clock(remaining())} · ${s().status === "paused" ? "Paused" : "Focus"} — Continuum`;
  });
  onCleanup(() => (document.title = title));

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
        <button type="button" class="ghost danger" onClick={() => void endFocus(store, s(), "abandon")}>
          Abandon
        </button>
      </div>
      <FocusMusic session={s()} />
    </div>
  );
}
