/**
 * The demo account's Studio: two loops (one public and remixable, so the
 * feed has something in it) and a song arranging them. Stable ids: a re-run
 * finds them (same content → 200; edited since → left as the user made it).
 */
import type { Demo } from "./demo.ts";

export async function studio(demo: Demo): Promise<void> {
  const nightDrive = demo.id("studio:loop:Night drive");
  const morning = demo.id("studio:loop:Morning coffee");
  await demo.create("/api/studio/loops", {
    id: nightDrive,
    name: "Night drive",
    bars: 2,
    bpm: 96,
    color: "#3366cc",
    chord_progression: ["Am7", "F", "C", "G"],
    icon_sequence: ["🥁", "🎩", "👏", "🎩"],
    visibility: "public",
    remixable: true,
  });
  await demo.create("/api/studio/loops", {
    id: morning,
    name: "Morning coffee",
    bars: 4,
    bpm: 84,
    color: "#cc8833",
    chord_progression: ["Cmaj7", "Am7", "Dm7", "G"],
    icon_sequence: ["🥁", "💤", "🎩", "✨"],
  });
  await demo.create("/api/studio/songs", {
    id: demo.id("studio:song:Sunday set"),
    title: "Sunday set",
    bpm: 90,
    timeline: [
      { loop_id: morning, start_bar: 0, repeat: 1 },
      { loop_id: nightDrive, start_bar: 4, repeat: 2 },
    ],
  });
}
