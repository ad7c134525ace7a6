// Plays an owned market soundscape (generated with Web Audio) while a focus
// session runs; follows the session's pause state on every device.
import { createEffect, createSignal, on, onCleanup, Show } from "solid-js";
import { playSoundscape, type Soundscape, type SoundscapeKind } from "../audio/soundscapes.ts";

export function SoundscapePlayer(props: { sound: SoundscapeKind; name: string; running: boolean }) {
  const [volume, setVolume] = createSignal(0.5);
  const [on_, setOn] = createSignal(true);
  const [blocked, setBlocked] = createSignal(false);
  let ctx: AudioContext | undefined;
  let playing: Soundscape | undefined;

  const ensure = () => {
    if (!ctx) ctx = new AudioContext();
    if (!playing) {
      playing = playSoundscape(ctx, props.sound);
      playing.setVolume(volume());
    }
    return ctx;
  };
  const sync = () => {
    const want = props.running && on_();
    if (!want) {
      void ctx?.suspend();
      return;
    }
    // Without a recent click the browser keeps a new context suspended: ask for one.
    ensure()
      .resume()
      .then(() => setBlocked(ctx?.state !== "running"))
      .catch(() => setBlocked(true));
  };
  createEffect(on([() => props.running, on_], sync));
  createEffect(
    on(
      () => props.sound,
      () => {
        playing?.stop();
        playing = undefined;
        sync();
      },
      { defer: true },
    ),
  );
  onCleanup(() => {
    playing?.stop();
    void ctx?.close();
  });

  return (
    <div class="stack now-playing" data-testid="soundscape-player">
      <p class="small">
        <span class="muted">Soundscape</span> {props.name}{" "}
        <span class="muted">{props.running && on_() && !blocked() ? "(playing)" : "(paused)"}</span>
      </p>
      <div class="row wrap">
        <button type="button" onClick={() => setOn(!on_())} aria-pressed={on_()}>
          {on_() ? "Mute soundscape" : "Play soundscape"}
        </button>
        <label class="choice">
          Volume
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={volume()}
            onInput={(e) => {
              setVolume(e.currentTarget.valueAsNumber);
              playing?.setVolume(e.currentTarget.valueAsNumber);
            }}
          />
        </label>
      </div>
      <Show when={blocked()}>
        <p class="small" role="status">
          The browser is waiting for a click before playing sound —{" "}
          <button type="button" class="ghost" onClick={sync}>
            start the soundscape
          </button>
        </p>
      </Show>
    </div>
  );
}
