// A small player over a plain <audio>: the server answers Range requests, so
// the browser streams and seeks without downloading the whole file.
import { createSignal, onCleanup } from "solid-js";
import { clock } from "../ui/format.ts";
import "./media.css";
import { ErrorAlert } from "./ErrorAlert.tsx";

/** Only one player plays at a time. */
let playingNow: HTMLAudioElement | null = null;

export const audioSrc = (src: { audio_id: string | null; url?: string | null }) =>
  src.audio_id ? `/api/audio/${encodeURIComponent(src.audio_id)}` : (src.url ?? "");

export function AudioPlayer(props: {
  src: string;
  title: string;
  /** Used until the browser knows the real duration. */
  durationS?: number | null;
  onEnded?: () => void;
  /** Gives the caller the element (for play()/pause() from outside). */
  audio?: (el: HTMLAudioElement) => void;
}) {
  let el!: HTMLAudioElement;
  const [playing, setPlaying] = createSignal(false);
  const [time, setTime] = createSignal(0);
  const [duration, setDuration] = createSignal(0);
  const [error, setError] = createSignal("");
  const [seeking, setSeeking] = createSignal(false);

  const total = () => (Number.isFinite(duration()) && duration() > 0 ? duration() : (props.durationS ?? 0));
  const toggle = () => {
    if (el.paused) {
      el.play().catch((err: Error) => {
        if (err.name !== "AbortError") setError("Can't play this audio.");
      });
    } else el.pause();
  };

  onCleanup(() => {
    el.pause();
    if (playingNow === el) playingNow = null;
  });

  return (
    <div class="player" role="group" aria-label={`Player: ${props.title}`} data-testid="audio-player">
      <audio
        ref={(a) => {
          el = a;
          props.audio?.(a);
        }}
        src={props.src}
        // Our own files: fetch the header for the duration. Links elsewhere: nothing until played.
        preload={props.src.startsWith("/") ? "metadata" : "none"}
        onPlay={() => {
          if (playingNow && playingNow !== el) playingNow.pause();
          playingNow = el;
          setError("");
          setPlaying(true);
        }}
        onPause={() => setPlaying(false)}
        onEnded={() => {
          setPlaying(false);
          props.onEnded?.();
        }}
        onTimeUpdate={() => !seeking() && setTime(el.currentTime)}
        onLoadedMetadata={() => setDuration(el.duration)}
        onDurationChange={() => setDuration(el.duration)}
        onEmptied={() => {
          setTime(0);
          setDuration(0);
        }}
        onError={() => setError("Can't play this audio.")}
      />
      <button
        type="button"
        class="player-toggle"
        aria-label={`${playing() ? "Pause" : "Play"} ${props.title}`}
        data-testid="player-toggle"
        onClick={toggle}
      >
        <span aria-hidden="true">{playing() ? "❚❚" : "▶"}</span>
      </button>
      <input
        type="range"
        class="player-seek"
        aria-label={`Seek ${props.title}`}
        aria-valuetext={`${clock(Math.floor(time()))} of ${clock(total())}`}
        data-testid="player-seek"
        min={0}
        max={Math.max(total(), 0.1)}
        step={1}
        value={time()}
        disabled={!total()}
        onInput={(e) => {
          setSeeking(true);
          setTime(e.currentTarget.valueAsNumber);
        }}
        onChange={(e) => {
          el.currentTime = e.currentTarget.valueAsNumber;
          setSeeking(false);
        }}
      />
      <span class="player-time small" data-testid="player-time">
        {clock(Math.floor(time()))} / {clock(total())}
      </span>
      <ErrorAlert message={error()} inline />
    </div>
  );
}
