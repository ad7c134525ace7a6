// One AudioContext for the whole page (browsers cap how many may exist, and
// each one holds an audio device). Created on first use — from a click, so
// autoplay rules let it start — and resumed if the browser suspended it.
let shared: AudioContext | null = null;

export async function audioContext(): Promise<AudioContext> {
  shared ??= new AudioContext({ latencyHint: "interactive" });
  if (shared.state === "suspended") await shared.resume();
  return shared;
}
