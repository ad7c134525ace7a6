// The Studio's one player, shared by its panels: which item is playing, and
// the output level (from the engine's AnalyserNode) for the meter.
import { createContext, createSignal, onCleanup, useContext } from "solid-js";
import { audioContext } from "../../audio/context.ts";
import { level, LoopPlayer } from "../../audio/loop-engine.ts";
import type { Pattern } from "../../audio/pattern.ts";

export interface Player {
  /** Id of what is playing (a loop, a song, a feed item), or null. */
  playing: () => string | null;
  /** 0–1 output level while playing. */
  level: () => number;
  /** The beat now playing within the pass (fractional), or null when stopped. */
  beat: () => number | null;
  /** Beats in one pass of what is playing (0 when stopped). */
  beats: () => number;
  toggle(id: string, pattern: () => Pattern): Promise<void>;
  stop(): void;
}

export function createPlayer(): Player {
  const [playing, setPlaying] = createSignal<string | null>(null);
  const [lvl, setLvl] = createSignal(0);
  const [beat, setBeat] = createSignal<number | null>(null);
  const [beats, setBeats] = createSignal(0);
  let engine: LoopPlayer | null = null;
  let frame = 0;
  const meter = () => {
    if (!engine?.playing) {
      setLvl(0);
      setBeat(null);
      return;
    }
    setLvl(Math.min(1, level(engine.analyser) * 4));
    setBeat(engine.position());
    frame = requestAnimationFrame(meter);
  };
  const stop = () => {
    engine?.stop();
    cancelAnimationFrame(frame);
    setPlaying(null);
    setLvl(0);
    setBeat(null);
  };
  onCleanup(stop);
  return {
    playing,
    level: lvl,
    beat,
    beats,
    stop,
    async toggle(id, pattern) {
      if (playing() === id) return stop();
      // Created on the click, so the browser lets it make sound.
      engine ??= new LoopPlayer(await audioContext(), () => stop());
      cancelAnimationFrame(frame);
      const p = pattern();
      engine.play(p);
      setBeats(p.beats);
      setPlaying(engine.playing ? id : null);
      frame = requestAnimationFrame(meter);
    },
  };
}

export const PlayerContext = createContext<Player>();
export function usePlayer(): Player {
  const p = useContext(PlayerContext);
  if (!p) throw new Error("usePlayer outside the Studio");
  return p;
}
