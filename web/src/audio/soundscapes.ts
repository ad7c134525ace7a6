// Focus soundscapes generated in the browser with the Web Audio API: no audio
// files ship and no audio library is loaded. Each soundscape is a small graph
// of looped noise buffers and filters; rain and café add short events (drops,
// cups) scheduled slightly ahead of AudioContext time by a timer, the
// "two clocks" pattern. The building blocks (noise buffers, the scheduler) are
// exported for other generated audio, e.g. the studio.

export type { SoundscapeKind } from "@protocol/rules.ts";
import type { SoundscapeKind } from "@protocol/rules.ts";

export interface Soundscape {
  /** 0–1. */
  setVolume(v: number): void;
  /** Stops every source and timer; the context is the caller's to close. */
  stop(): void;
}

export type NoiseColor = "white" | "pink" | "brown";

/** A mono buffer of noise, `seconds` long, meant to be looped. */
export function noiseBuffer(ctx: BaseAudioContext, color: NoiseColor, seconds = 4, random = Math.random): AudioBuffer {
  const length = Math.floor(ctx.sampleRate * seconds);
  const buffer = ctx.createBuffer(1, length, ctx.sampleRate);
  const data = buffer.getChannelData(0);
  let last = 0;
  // Paul Kellet's economy pink filter state.
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < length; i++) {
    const white = random() * 2 - 1;
    if (color === "white") data[i] = white;
    else if (color === "brown") {
      // Integrated white noise (a random walk), leaky so it stays centred.
      last = (last + 0.02 * white) / 1.02;
      data[i] = last * 3.5;
    } else {
      b0 = 0.99765 * b0 + white * 0.099046;
      b1 = 0.963 * b1 + white * 0.2965164;
      b2 = 0.57 * b2 + white * 1.0526913;
      data[i] = (b0 + b1 + b2 + white * 0.1848) * 0.11;
    }
  }
  return buffer;
}

/** A looping noise source through a filter into `out`. */
function loop(ctx: BaseAudioContext, buffer: AudioBuffer, out: AudioNode, filter?: BiquadFilterOptions) {
  const src = new AudioBufferSourceNode(ctx, { buffer, loop: true });
  if (filter) src.connect(new BiquadFilterNode(ctx, filter)).connect(out);
  else src.connect(out);
  src.start();
  return src;
}

/**
 * Calls `schedule(from, to)` every `tickMs` for the window of context time
 * just ahead, so events land sample-accurately even when timers are late.
 */
export function lookahead(
  ctx: BaseAudioContext,
  schedule: (from: number, to: number) => void,
  tickMs = 50,
  horizonS = 0.2,
): () => void {
  let until = ctx.currentTime;
  const tick = () => {
    const to = ctx.currentTime + horizonS;
    if (to > until) schedule(Math.max(until, ctx.currentTime), to);
    until = Math.max(until, to);
  };
  tick();
  const timer = setInterval(tick, tickMs);
  return () => clearInterval(timer);
}

/** A short filtered noise burst (a raindrop, a spoon on a cup) at time `at`. */
function burst(ctx: BaseAudioContext, out: AudioNode, noise: AudioBuffer, at: number, freq: number, gain: number) {
  const src = new AudioBufferSourceNode(ctx, { buffer: noise });
  const env = new GainNode(ctx, { gain: 0 });
  env.gain.setValueAtTime(0, at);
  env.gain.linearRampToValueAtTime(gain, at + 0.004);
  env.gain.exponentialRampToValueAtTime(0.0001, at + 0.06);
  src
    .connect(new BiquadFilterNode(ctx, { type: "bandpass", frequency: freq, Q: 3 }))
    .connect(env)
    .connect(out);
  src.start(at, Math.random() * (noise.duration - 0.1), 0.08);
}

/** A soft high "clink": two detuned sines with a fast decay. */
function clink(ctx: BaseAudioContext, out: AudioNode, at: number, freq: number) {
  const env = new GainNode(ctx, { gain: 0 });
  env.gain.setValueAtTime(0.05, at);
  env.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
  env.connect(out);
  for (const f of [freq, freq * 1.51]) {
    const osc = new OscillatorNode(ctx, { type: "sine", frequency: f });
    osc.connect(env);
    osc.start(at);
    osc.stop(at + 0.4);
  }
}

export function playSoundscape(ctx: BaseAudioContext, kind: SoundscapeKind, destination: AudioNode = ctx.destination) {
  const master = new GainNode(ctx, { gain: 0.5 });
  master.connect(destination);
  const sources: AudioScheduledSourceNode[] = [];
  const stops: Array<() => void> = [];

  if (kind === "brown") {
    sources.push(loop(ctx, noiseBuffer(ctx, "brown"), master, { type: "lowpass", frequency: 900 }));
  } else if (kind === "rain") {
    const bed = new GainNode(ctx, { gain: 0.6 });
    bed.connect(master);
    sources.push(loop(ctx, noiseBuffer(ctx, "pink"), bed, { type: "bandpass", frequency: 2500, Q: 0.4 }));
    const white = noiseBuffer(ctx, "white", 1);
    stops.push(
      lookahead(ctx, (from, to) => {
        // ~30 drops a second, a few of them louder and lower (drops on leaves).
        for (let t = from; t < to; t += Math.random() * 0.066) {
          const heavy = Math.random() < 0.08;
          burst(
            ctx,
            master,
            white,
            t,
            heavy ? 900 + Math.random() * 600 : 3000 + Math.random() * 4000,
            heavy ? 0.5 : 0.12,
          );
        }
      }),
    );
  } else {
    sources.push(loop(ctx, noiseBuffer(ctx, "brown"), master, { type: "lowpass", frequency: 400 }));
    // The murmur of voices: pink noise in the speech band, swelling slowly.
    const murmur = new GainNode(ctx, { gain: 0.35 });
    murmur.connect(master);
    sources.push(loop(ctx, noiseBuffer(ctx, "pink"), murmur, { type: "bandpass", frequency: 500, Q: 1.2 }));
    const lfo = new OscillatorNode(ctx, { type: "sine", frequency: 0.15 });
    const depth = new GainNode(ctx, { gain: 0.15 });
    lfo.connect(depth).connect(murmur.gain);
    lfo.start();
    sources.push(lfo);
    let next = ctx.currentTime + 1;
    stops.push(
      lookahead(ctx, (_from, to) => {
        while (next < to) {
          clink(ctx, master, next, 2200 + Math.random() * 1800);
          next += 2 + Math.random() * 6;
        }
      }),
    );
  }

  return {
    setVolume(v: number) {
      master.gain.setTargetAtTime(Math.max(0, Math.min(1, v)), ctx.currentTime, 0.05);
    },
    stop() {
      stops.forEach((s) => s());
      for (const s of sources) {
        try {
          s.stop();
        } catch {
          /* already stopped */
        }
      }
      master.disconnect();
    },
  } satisfies Soundscape;
}
