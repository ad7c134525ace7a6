// Loops and songs as a list of timed events (in beats), independent of any
// audio API: the scheduler (./loop-engine.ts) turns them into Web Audio nodes,
// and tests can check them without a browser.
import { CHORD_PATTERN, CHORD_QUALITIES, LIMITS, type ChordQuality } from "@protocol/rules.ts";
import type { Loop, Song } from "../api/types.ts";

const NOTE_INDEX: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
export const ROOTS = ["C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B"] as const;
export const QUALITIES = CHORD_QUALITIES;
/** Semitones above the root for each quality. */
const SEMITONES: Record<ChordQuality, readonly number[]> = {
  "": [0, 4, 7],
  m: [0, 3, 7],
  "7": [0, 4, 7, 10],
  m7: [0, 3, 7, 10],
  maj7: [0, 4, 7, 11],
  dim: [0, 3, 6],
  aug: [0, 4, 8],
  sus2: [0, 2, 7],
  sus4: [0, 5, 7],
};

/** Frequencies (Hz) of a chord symbol's notes, voiced around C4; null for anything else. */
export function chordFrequencies(symbol: string): number[] | null {
  const m = CHORD_PATTERN.exec(symbol);
  if (!m) return null;
  const root = NOTE_INDEX[m[1]!]! + (m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0);
  // MIDI 48 = C3: roots sit in C3–B3, so chords stay in a comfortable middle register.
  return SEMITONES[(m[3] ?? "") as ChordQuality].map((st) => 440 * 2 ** ((48 + ((root + 12) % 12) + st - 69) / 12));
}

/** Percussion the icon sequence plays, one icon per eighth note. */
export const ICON_SOUNDS = {
  "🥁": "kick",
  "👏": "clap",
  "🎩": "hat",
  "🔔": "bell",
  "✨": "sparkle",
  "💤": "rest",
} as const;
export type Icon = keyof typeof ICON_SOUNDS;
export type Sound = (typeof ICON_SOUNDS)[Icon];
export const ICONS = Object.keys(ICON_SOUNDS) as Icon[];
const soundOf = (icon: string): Sound => ICON_SOUNDS[icon as Icon] ?? "hat";

export type PatternEvent =
  | { beat: number; kind: "chord"; freqs: number[]; beats: number }
  | { beat: number; kind: "hit"; sound: Exclude<Sound, "rest"> };

export interface Pattern {
  bpm: number;
  /** Length of one pass, in beats. */
  beats: number;
  /** Sorted by beat. */
  events: PatternEvent[];
  /** Loops repeat until stopped; songs play through once. */
  repeat: boolean;
}

export const BEATS_PER_BAR = LIMITS.loop.beatsPerBar;

/** One pass of a loop: chords share its beats evenly (one per bar, one per beat, …); icons tick in eighths. */
export function loopEvents(
  loop: Pick<Loop, "bars" | "chord_progression" | "icon_sequence">,
  scale = 1,
): PatternEvent[] {
  const beats = loop.bars * BEATS_PER_BAR;
  const events: PatternEvent[] = [];
  const chords = loop.chord_progression;
  const span = chords.length ? beats / chords.length : 0;
  chords.forEach((symbol, i) => {
    const freqs = chordFrequencies(symbol);
    if (freqs) events.push({ beat: i * span * scale, kind: "chord", freqs, beats: span * scale });
  });
  const icons = loop.icon_sequence;
  if (icons.length)
    for (let step = 0; step < beats * 2; step++) {
      const sound = soundOf(icons[step % icons.length]!);
      if (sound !== "rest") events.push({ beat: (step / 2) * scale, kind: "hit", sound });
    }
  return events.sort((a, b) => a.beat - b.beat);
}

export const loopPattern = (loop: Loop): Pattern => ({
  bpm: loop.bpm,
  beats: loop.bars * BEATS_PER_BAR,
  events: loopEvents(loop),
  repeat: true,
});

/** A song: each timeline entry plays its loop `repeat` times from `start_bar`, in the song's metre and tempo. */
export function songPattern(
  song: Pick<Song, "bpm" | "time_signature" | "timeline">,
  loops: ReadonlyMap<string, Loop>,
): Pattern {
  const perBar = song.time_signature === "3/4" ? 3 : 4;
  const scale = perBar / BEATS_PER_BAR; // a loop's bar becomes one bar of the song
  const events: PatternEvent[] = [];
  let end = 0;
  for (const entry of song.timeline) {
    const loop = loops.get(entry.loop_id);
    if (!loop) continue;
    for (let r = 0; r < entry.repeat; r++) {
      const offset = (entry.start_bar + r * loop.bars) * perBar;
      for (const e of loopEvents(loop, scale)) events.push({ ...e, beat: e.beat + offset });
      end = Math.max(end, offset + loop.bars * perBar);
    }
  }
  return { bpm: song.bpm, beats: end, events: events.sort((a, b) => a.beat - b.beat), repeat: false };
}
