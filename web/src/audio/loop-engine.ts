// A small Web Audio engine for the Studio: a lookahead scheduler (Chris
// Wilson's "A Tale of Two Clocks") — a 25 ms timer that schedules every event
// due in the next 100 ms against AudioContext.currentTime, so timing is
// sample-accurate even when the main thread is busy — and synthesised voices
// (chords as detuned oscillators with an envelope, drums from oscillators and
// noise). No audio library: Tone.js alone would cost ~87 KB gzipped.
import type { Pattern, PatternEvent } from "./pattern.ts";

const TICK_MS = 25;
const HORIZON_S = 0.1;

/** Schedules one event at `when` (seconds on `ctx`'s clock). Works on an OfflineAudioContext too. */
export function playEvent(ctx: BaseAudioContext, out: AudioNode, e: PatternEvent, when: number, secPerBeat: number) {
  if (e.kind === "chord") return chord(ctx, out, e.freqs, when, e.beats * secPerBeat);
  if (e.sound === "kick") return kick(ctx, out, when);
  if (e.sound === "clap") return noise(ctx, out, when, 0.12, 1500, 0.5);
  if (e.sound === "hat") return noise(ctx, out, when, 0.04, 8000, 0.25);
  tone(ctx, out, when, e.sound === "bell" ? 1320 : 2640, e.sound === "bell" ? 0.4 : 0.15);
}

function envelope(ctx: BaseAudioContext, out: AudioNode, when: number, dur: number, peak: number): GainNode {
  const g = ctx.createGain();
  g.gain.setValueAtTime(0.0001, when);
  g.gain.exponentialRampToValueAtTime(peak, when + 0.01);
  g.gain.setValueAtTime(peak, when + Math.max(0.01, dur - 0.08));
  g.gain.exponentialRampToValueAtTime(0.0001, when + dur);
  g.connect(out);
  return g;
}

function chord(ctx: BaseAudioContext, out: AudioNode, freqs: number[], when: number, dur: number) {
  const g = envelope(ctx, out, when, dur, 0.18 / Math.sqrt(freqs.length));
  for (const f of freqs)
    for (const [type, detune] of [
      ["triangle", -4],
      ["sawtooth", 4],
    ] as const) {
      const o = ctx.createOscillator();
      o.type = type;
      o.frequency.value = f;
      o.detune.value = detune;
      o.connect(g);
      o.start(when);
      o.stop(when + dur + 0.02);
    }
}

function kick(ctx: BaseAudioContext, out: AudioNode, when: number) {
  const o = ctx.createOscillator();
  o.frequency.setValueAtTime(150, when);
  o.frequency.exponentialRampToValueAtTime(40, when + 0.15);
  o.connect(envelope(ctx, out, when, 0.2, 0.8));
  o.start(when);
  o.stop(when + 0.22);
}

function tone(ctx: BaseAudioContext, out: AudioNode, when: number, freq: number, dur: number) {
  const o = ctx.createOscillator();
  o.type = "sine";
  o.frequency.value = freq;
  o.connect(envelope(ctx, out, when, dur, 0.2));
  o.start(when);
  o.stop(when + dur + 0.02);
}

const noiseBuffers = new WeakMap<BaseAudioContext, AudioBuffer>();
function noise(ctx: BaseAudioContext, out: AudioNode, when: number, dur: number, freq: number, peak: number) {
  let buf = noiseBuffers.get(ctx);
  if (!buf) {
    buf = ctx.createBuffer(1, ctx.sampleRate / 4, ctx.sampleRate);
    const data = buf.getChannelData(0);
    for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
    noiseBuffers.set(ctx, buf);
  }
  const src = ctx.createBufferSource();
  src.buffer = buf;
  const filter = ctx.createBiquadFilter();
  filter.type = "bandpass";
  filter.frequency.value = freq;
  src.connect(filter).connect(envelope(ctx, out, when, dur, peak));
  src.start(when);
  src.stop(when + dur + 0.02);
}

/**
 * Plays one pattern at a time through a master gain and an analyser (the
 * level meter reads it). `stop()` fades out and drops everything scheduled.
 */
export class LoopPlayer {
  readonly analyser: AnalyserNode;
  private master: GainNode | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pattern: Pattern | null = null;
  private startAt = 0;
  private pass = 0;
  private index = 0;

  constructor(
    private readonly ctx: AudioContext,
    private readonly onEnded: () => void = () => {},
  ) {
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.analyser.connect(ctx.destination);
  }

  get playing(): boolean {
    return this.pattern !== null;
  }

  play(pattern: Pattern): void {
    this.stop();
    if (!pattern.events.length || pattern.beats <= 0) return;
    this.master = this.ctx.createGain();
    this.master.connect(this.analyser);
    this.pattern = pattern;
    this.startAt = this.ctx.currentTime + 0.05;
    this.pass = 0;
    this.index = 0;
    this.tick();
  }

  /** The beat now playing within the pass, or null when stopped. */
  position(): number | null {
    const p = this.pattern;
    if (!p) return null;
    const beats = (this.ctx.currentTime - this.startAt) / (60 / p.bpm);
    return beats < 0 ? 0 : p.repeat ? beats % p.beats : Math.min(beats, p.beats);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pattern = null;
    const m = this.master;
    this.master = null;
    if (m) {
      const now = this.ctx.currentTime;
      m.gain.setTargetAtTime(0, now, 0.02);
      setTimeout(() => m.disconnect(), 200); // scheduled voices go silent with their bus
    }
  }

  private tick = (): void => {
    const p = this.pattern;
    const out = this.master;
    if (!p || !out) return;
    const spb = 60 / p.bpm;
    const horizon = this.ctx.currentTime + HORIZON_S;
    for (;;) {
      const e = p.events[this.index];
      if (!e) {
        if (!p.repeat) break;
        this.pass++;
        this.index = 0;
        continue;
      }
      const when = this.startAt + (this.pass * p.beats + e.beat) * spb;
      if (when > horizon) break;
      playEvent(this.ctx, out, e, when, spb);
      this.index++;
    }
    if (!p.repeat && !p.events[this.index] && this.ctx.currentTime > this.startAt + p.beats * spb) {
      this.stop();
      this.onEnded();
      return;
    }
    this.timer = setTimeout(this.tick, TICK_MS);
  };
}

/** Renders `passes` of a pattern offline (same voices, same times): for checks and exports. */
export async function renderPattern(pattern: Pattern, passes = 1, sampleRate = 22_050): Promise<AudioBuffer> {
  const spb = 60 / pattern.bpm;
  const seconds = pattern.beats * spb * passes + 0.5;
  const ctx = new OfflineAudioContext(1, Math.ceil(seconds * sampleRate), sampleRate);
  for (let pass = 0; pass < passes; pass++)
    for (const e of pattern.events) playEvent(ctx, ctx.destination, e, (pass * pattern.beats + e.beat) * spb, spb);
  return ctx.startRendering();
}

/** Root-mean-square level of what the analyser hears right now (0 = silence). */
export function level(analyser: AnalyserNode, buf = new Float32Array(analyser.fftSize)): number {
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (const x of buf) sum += x * x;
  return Math.sqrt(sum / buf.length);
}
