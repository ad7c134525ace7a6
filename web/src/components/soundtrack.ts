// The focus soundtrack chosen on this tab: a library's id, `sound:<kind>` for a
// generated soundscape, or "" for none. Shared by the music picker and the
// presets (both lazy chunks), and it outlives the start form → running session switch.
import { createSignal } from "solid-js";
import { SOUNDSCAPES, type SoundscapeKind } from "@protocol/rules.ts";

/** Soundtrack choices that are a generated soundscape rather than a library. */
export const SOUND_PREFIX = "sound:";

const [choice, setChoice] = createSignal("");
export { choice as soundtrackChoice, setChoice as setSoundtrackChoice };

const isSoundscape = (s: string): s is SoundscapeKind => (SOUNDSCAPES as readonly string[]).includes(s);

/** The choice as a preset stores it (a library wins over a soundscape when both are set). */
export function soundtrackOfChoice(): { soundscape: SoundscapeKind | null; library_id: string | null } {
  const c = choice();
  if (!c) return { soundscape: null, library_id: null };
  if (c.startsWith(SOUND_PREFIX)) {
    const kind = c.slice(SOUND_PREFIX.length);
    return { soundscape: isSoundscape(kind) ? kind : null, library_id: null };
  }
  return { soundscape: null, library_id: c };
}

/**
 * Picks a preset's soundtrack: its library if that still exists, else its
 * soundscape if this user owns it, else no music.
 */
export function chooseSoundtrack(
  preset: { soundscape: string | null; library_id: string | null },
  has: { library: (id: string) => boolean; soundscape: (kind: string) => boolean },
): void {
  if (preset.library_id && has.library(preset.library_id)) setChoice(preset.library_id);
  else if (preset.soundscape && has.soundscape(preset.soundscape)) setChoice(`${SOUND_PREFIX}${preset.soundscape}`);
  else setChoice("");
}
