// Small pieces shared by the Studio panels.
import { Show } from "solid-js";
import { api } from "../../api/http.ts";
import type { Loop } from "../../api/types.ts";
import { BEATS_PER_BAR, type Pattern } from "../../audio/pattern.ts";
import { usePlayer } from "./player.ts";

export function PlayButton(props: { id: string; name: string; pattern: () => Pattern; onPlay?: () => void }) {
  const player = usePlayer();
  const on = () => player.playing() === props.id;
  return (
    <span class="play-group">
      <button
        type="button"
        class="play"
        aria-pressed={on()}
        data-testid="play"
        onClick={() => {
          if (!on()) props.onPlay?.();
          void player.toggle(props.id, props.pattern);
        }}
      >
        <span aria-hidden="true">{on() ? "■" : "▶"}</span> {on() ? "Stop" : "Play"}
        <span class="sr-only"> {props.name}</span>
      </button>
      <Show when={on()}>
        <Playhead />
      </Show>
    </span>
  );
}

/**
 * Where playback is: a bar that sweeps across one pass and "Bar 2 · beat 3".
 * Hidden from screen readers (it changes many times a second); the Stop button says it is playing.
 */
export function Playhead() {
  const player = usePlayer();
  const at = () => player.beat() ?? 0;
  const whole = () => Math.floor(at());
  return (
    <span class="playhead" aria-hidden="true" data-testid="playhead">
      <span class="playhead-track">
        <span class="playhead-fill" style={{ transform: `scaleX(${player.beats() ? at() / player.beats() : 0})` }} />
      </span>
      <span class="small muted playhead-text">
        Bar {Math.floor(whole() / BEATS_PER_BAR) + 1} · beat {(whole() % BEATS_PER_BAR) + 1}
      </span>
    </span>
  );
}

/** Counts a play (fire and forget: the server queues it; offline plays simply aren't counted). */
export function countPlay(loopId: string): void {
  void api(`/api/studio/loops/${encodeURIComponent(loopId)}/plays`, { method: "POST" }).catch(() => undefined);
}

export function Counters(props: { loop: Pick<Loop, "likes_count" | "remixes_count" | "plays_count">; likes?: number }) {
  const likes = () => props.likes ?? props.loop.likes_count;
  return (
    <p class="small muted counters" data-testid="counters">
      <span data-testid="likes-count">
        {likes()} {likes() === 1 ? "like" : "likes"}
      </span>{" "}
      · {props.loop.remixes_count} {props.loop.remixes_count === 1 ? "remix" : "remixes"} · {props.loop.plays_count}{" "}
      {props.loop.plays_count === 1 ? "play" : "plays"}
    </p>
  );
}

/** "Remix of @owner", or "Remix of a deleted user" once the parent's owner deleted their account. */
export function RemixOf(props: { username: string | null | undefined; ownerDeleted?: boolean }) {
  return (
    <Show when={props.username || props.ownerDeleted}>
      <p class="small remix-of" data-testid="remix-of">
        {props.username ? `Remix of @${props.username}` : "Remix of a deleted user"}
      </p>
    </Show>
  );
}
