// web/src/audio/pattern.ts: what the Studio's scheduler plays, checked without a browser.
import { describe, expect, test } from "vitest";
import type { Loop } from "../../web/src/api/types.ts";
import { chordFrequencies, loopEvents, loopPattern, songPattern } from "../../web/src/audio/pattern.ts";

const loop = (over: Partial<Loop> = {}): Loop => ({
  id: "11111111-1111-4111-8111-111111111111",
  version: 1,
  created_at: "2026-12-01T00:00:00.000Z",
  updated_at: "2026-12-01T00:00:00.000Z",
  name: "L",
  bars: 2,
  bpm: 120,
  color: "#000000",
  chord_progression: [],
  icon_sequence: [],
  visibility: "private",
  remixable: false,
  parent_loop_id: null,
  parent_owner_deleted: false,
  owner: { id: "22222222-2222-4222-8222-222222222222", username: "u" },
  plays_count: 0,
  likes_count: 0,
  remixes_count: 0,
  ...over,
});
const round = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);

describe("chords", () => {
  test("every SPEC quality maps to its notes around C3–B3", () => {
    expect(round(chordFrequencies("Am7")!)).toEqual([220, 261.63, 329.63, 392]);
    expect(round(chordFrequencies("C")!)).toEqual([130.81, 164.81, 196]);
    expect(chordFrequencies("F#dim")).toHaveLength(3);
    expect(round(chordFrequencies("Bb")!)).toEqual(round(chordFrequencies("A#")!));
    expect(round(chordFrequencies("Cb")!)).toEqual(round(chordFrequencies("B")!));
    for (const q of ["m", "7", "m7", "maj7", "dim", "aug", "sus2", "sus4"])
      expect(chordFrequencies(`E${q}`)).not.toBeNull();
  });
  test("anything else is not a chord", () => {
    for (const bad of ["H", "am", "Amaj9", "A##", "", "A m"]) expect(chordFrequencies(bad)).toBeNull();
  });
});

describe("loop and song schedules", () => {
  test("chords share the loop evenly: one per bar, or one per beat", () => {
    const perBar = loopEvents(loop({ chord_progression: ["C", "G"] }));
    expect(perBar.map((e) => [e.beat, e.kind === "chord" && e.beats])).toEqual([
      [0, 4],
      [4, 4],
    ]);
    const perBeat = loopEvents(loop({ bars: 1, chord_progression: ["C", "D", "E", "F"] }));
    expect(perBeat.map((e) => e.beat)).toEqual([0, 1, 2, 3]);
  });

  test("icons play one per eighth note, repeating; rests are silent", () => {
    const hits = loopEvents(loop({ bars: 1, icon_sequence: ["🥁", "💤", "👏"] })).filter((e) => e.kind === "hit");
    // 8 eighths: kick rest clap kick rest clap kick rest
    expect(hits.map((e) => [e.beat, e.kind === "hit" && e.sound])).toEqual([
      [0, "kick"],
      [1, "clap"],
      [1.5, "kick"],
      [2.5, "clap"],
      [3, "kick"],
    ]);
    expect(loopPattern(loop({ bars: 4 })).beats).toBe(16);
  });

  test("a song places each repeat of a loop on its bars; 3/4 fits a loop's bar into three beats", () => {
    const a = loop({ bars: 1, chord_progression: ["C"] });
    const loops = new Map([[a.id, a]]);
    const timeline = [{ loop_id: a.id, start_bar: 2, repeat: 2 }];
    const four = songPattern({ bpm: 100, time_signature: "4/4", timeline }, loops);
    expect(four.events.map((e) => e.beat)).toEqual([8, 12]);
    expect([four.beats, four.repeat]).toEqual([16, false]);
    const three = songPattern({ bpm: 100, time_signature: "3/4", timeline }, loops);
    expect(three.events.map((e) => [e.beat, e.kind === "chord" && e.beats])).toEqual([
      [6, 3],
      [9, 3],
    ]);
    // A loop that is gone (deleted elsewhere) is skipped, not a crash.
    expect(
      songPattern({ bpm: 100, time_signature: "4/4", timeline: [{ ...timeline[0]!, loop_id: "x" }] }, loops).events,
    ).toEqual([]);
  });
});
