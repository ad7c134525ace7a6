import { createSignal, For, lazy } from "solid-js";
import { FONT_SCALE, POLL_INTERVAL_S } from "@protocol/rules.ts";
import type { SyncMode, Theme, UpdateSettings } from "../api/types.ts";
import { resetSettings, updateSettings } from "../mutations/settings.ts";
import { applyAppearance } from "../ui/appearance.ts";
import { percent } from "../ui/format.ts";
import { useSync } from "../ui/sync-context.ts";
import { Field, Radios } from "../components/fields.tsx";
import { Screen } from "../components/Screen.tsx";
import type { ScreenProps } from "../ui/screen-props.ts";

// Loaded with the section, not with the initial bundle.
const AccessTokens = lazy(() => import("./assistant/AccessTokens.tsx"));
const AccountSecurity = lazy(() => import("./AccountSecurity.tsx"));
const AccentPicker = lazy(() => import("./market/AccentPicker.tsx"));
const YourData = lazy(() => import("./YourData.tsx"));

const THEMES: Array<[Theme, string]> = [
  ["light", "Light"],
  ["dark", "Dark"],
  ["system", "Match system"],
];
const MODES: Array<[SyncMode, string, string]> = [
  ["auto", "Automatic", "Live connection on computers, polling on phones and Save-Data."],
  ["socket", "Always live", "Keep a live connection open, even on a phone."],
  ["poll", "Always poll", "Check for changes on an interval; lighter on battery and data."],
];

const SWITCHES = [
  ["reduced_motion", "Reduce motion", "Reduced motion change"],
  ["high_contrast", "High contrast", "High contrast change"],
] as const;

export function Settings(props: ScreenProps) {
  const store = useSync();
  const s = () => props.settings;
  const change = (patch: UpdateSettings, label: string) => void updateSettings(store, s(), patch, label);
  const [scale, setScale] = createSignal<number | null>(null);
  const [intervalError, setIntervalError] = createSignal("");

  const shownScale = () => scale() ?? s().accessibility.font_scale;

  return (
    <Screen id="settings-title" title="Settings">
      <p class="muted">Changes apply at once and follow you to every signed-in device.</p>

      <fieldset class="card stack">
        <legend>Theme</legend>
        <div class="row wrap">
          <Radios
            name="theme"
            options={THEMES}
            value={s().theme}
            onChange={(theme) => change({ theme }, "Theme change")}
          />
        </div>
      </fieldset>

      <AccentPicker settings={s()} />

      <fieldset class="card stack">
        <legend>Accessibility</legend>
        <For each={SWITCHES}>
          {([key, text, label]) => (
            <label class="choice">
              <input
                type="checkbox"
                checked={s().accessibility[key]}
                onChange={(e) => change({ accessibility: { [key]: e.currentTarget.checked } }, label)}
              />
              {text}
            </label>
          )}
        </For>
        <div class="field">
          <label for="font-scale">
            Text size <output for="font-scale">{percent(shownScale())}</output>
          </label>
          <input
            id="font-scale"
            type="range"
            min={FONT_SCALE.min}
            max={FONT_SCALE.max}
            step={0.05}
            value={shownScale()}
            // Preview while dragging; save once on release.
            onInput={(e) => {
              const v = e.currentTarget.valueAsNumber;
              setScale(v);
              applyAppearance(s().theme, { ...s().accessibility, font_scale: v });
            }}
            onChange={(e) => {
              const v = e.currentTarget.valueAsNumber;
              setScale(null);
              if (v !== s().accessibility.font_scale) change({ accessibility: { font_scale: v } }, "Text size change");
            }}
          />
        </div>
      </fieldset>

      <fieldset class="card stack">
        <legend>Sync</legend>
        <Radios
          name="sync-mode"
          options={MODES}
          value={s().sync.mode}
          onChange={(mode) => change({ sync: { mode } }, "Sync mode change")}
        />
        <Field for="poll-interval" label="Poll interval (seconds)">
          <input
            id="poll-interval"
            type="number"
            inputmode="numeric"
            min={POLL_INTERVAL_S.min}
            max={POLL_INTERVAL_S.max}
            step={1}
            value={s().sync.poll_interval_s}
            aria-describedby="poll-interval-hint"
            aria-invalid={intervalError() ? "true" : undefined}
            onChange={(e) => {
              const v = e.currentTarget.valueAsNumber;
              if (!Number.isInteger(v) || v < POLL_INTERVAL_S.min || v > POLL_INTERVAL_S.max) {
                setIntervalError(`Choose a whole number from ${POLL_INTERVAL_S.min} to ${POLL_INTERVAL_S.max}.`);
                return;
              }
              setIntervalError("");
              if (v !== s().sync.poll_interval_s) change({ sync: { poll_interval_s: v } }, "Poll interval change");
            }}
          />
          <p id="poll-interval-hint" class={intervalError() ? "field-error" : "hint"}>
            {intervalError() ||
              `${POLL_INTERVAL_S.min}–${POLL_INTERVAL_S.max}. Used while polling; slows down while nothing changes.`}
          </p>
        </Field>
      </fieldset>

      <section class="card stack" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <p>
          Signed in as <strong>{props.user.username}</strong> <span class="muted">({props.user.email})</span>
        </p>
        <div class="row wrap">
          <button type="button" onClick={() => void resetSettings(store, s())}>
            Reset settings to defaults
          </button>
          <button type="button" class="ghost danger" onClick={() => props.onSignOut()}>
            Sign out
          </button>
        </div>
      </section>

      <AccountSecurity />
      <AccessTokens />

      <YourData onDeleted={() => props.onSignOut({ message: "Your account and all its data were deleted." })} />
    </Screen>
  );
}
