/**
 * Focus presets: a named session length ("Deep work", 50 min) with an optional
 * soundtrack — a generated soundscape or one of the user's libraries (if both
 * are set, the library plays). Synced; the plain CRUD shape at /api/focus/presets.
 */
import { z } from "zod";
import { focusPresets } from "../../db/schema.ts";
import { declareRecord } from "./declare.ts";
import { LIMITS, SOUNDSCAPES } from "./rules.ts";

export const focusPresetRecord = declareRecord({
  entity: "focus_preset",
  table: focusPresets,
  label: "Focus preset",
  component: "FocusPreset",
  fields: {
    name: z.string().trim().min(1).max(LIMITS.focusPreset.name),
    minutes: z
      .number()
      .int()
      .min(LIMITS.focus.minDurationS / 60)
      .max(LIMITS.focus.maxDurationS / 60),
    soundscape: z.enum(SOUNDSCAPES).nullable(),
    library_id: z.uuid().nullable(),
  },
  required: ["name", "minutes"],
  refs: { library_id: "focus_library" },
  api: { path: "/api/focus/presets", tag: "Focus" },
  sample: { name: "Deep work", minutes: 50 },
});

export type FocusPreset = z.infer<typeof focusPresetRecord.schema>;
