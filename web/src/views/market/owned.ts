// What owning market items unlocks, derived from the synced purchases. Kept
// apart from the mutations: Settings (initial bundle) and Focus import it.
import type { Purchase } from "../../api/types.ts";

const live = (p: Purchase & { pending?: string }) => !p.refunded_at && !p.pending;

/** Accent names of the themes the user owns (server-confirmed, not refunded). */
export function ownedAccents(purchases: readonly Purchase[]): Array<{ accent: string; name: string }> {
  const out = new Map<string, string>();
  for (const p of purchases) if (live(p) && p.effect?.kind === "accent") out.set(p.effect.accent, p.item_name);
  return [...out].map(([accent, name]) => ({ accent, name }));
}

/** Soundscapes the user owns, for the focus soundtrack picker. */
export function ownedSoundscapes(purchases: readonly Purchase[]): Array<{ sound: string; name: string }> {
  const out = new Map<string, string>();
  for (const p of purchases) if (live(p) && p.effect?.kind === "soundscape") out.set(p.effect.sound, p.item_name);
  return [...out].map(([sound, name]) => ({ sound, name }));
}
