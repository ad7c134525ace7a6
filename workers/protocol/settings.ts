import { z } from "zod";
import { settings } from "../../db/schema.ts";
import { declareWithoutCrud } from "./declare.ts";
import { isTimeZone } from "./market-rules.ts";
import { FONT_SCALE, POLL_INTERVAL_S, UI_MAX_BYTES } from "./rules.ts";

export { SETTINGS_DEFAULTS, UI_MAX_BYTES } from "./rules.ts";

export const themeSchema = z.enum(["light", "dark", "system"]);
export const syncModeSchema = z.enum(["auto", "socket", "poll"]);

export const accessibilitySchema = z.strictObject({
  reduced_motion: z.boolean(),
  high_contrast: z.boolean(),
  font_scale: z.number().min(FONT_SCALE.min).max(FONT_SCALE.max),
});
export const syncPrefsSchema = z.strictObject({
  mode: syncModeSchema,
  poll_interval_s: z.number().int().min(POLL_INTERVAL_S.min).max(POLL_INTERVAL_S.max),
});
/** Free-form UI preferences, small: ≤ 4 KB as JSON (the body is parsed JSON, so every value already is). */
export const uiSchema = z
  .record(z.string(), z.unknown())
  .refine((v) => new TextEncoder().encode(JSON.stringify(v)).length <= UI_MAX_BYTES, {
    message: `ui must be at most ${UI_MAX_BYTES} bytes as JSON`,
  });

/** An accent name as market theme items declare it (`effect.accent`). */
export const accentSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,29}$/, "not an accent name")
  .nullable();
export const timeZoneSchema = z.string().min(1).max(64).refine(isTimeZone, { message: "not an IANA time zone" });

/** One per user, made at signup; PUT merges (nested objects too), DELETE resets (routes/settings.ts). */
export const settingsRecord = declareWithoutCrud({
  entity: "settings",
  table: settings,
  label: "Settings",
  component: "Settings",
  fields: {
    theme: themeSchema,
    accessibility: accessibilitySchema.partial(),
    ui: uiSchema,
    sync: syncPrefsSchema.partial(),
    time_zone: timeZoneSchema,
    /** Must be the accent of a theme the user owns (409 not_owned otherwise); null = default. */
    accent: accentSchema,
  },
  wire: { accessibility: accessibilitySchema, ui: z.record(z.string(), z.unknown()), sync: syncPrefsSchema },
});

export const settingsSchema = settingsRecord.schema;
export type Settings = z.infer<typeof settingsSchema>;
/** PUT /api/settings: a partial merge; nested objects merge too. */
export const updateSettingsSchema = settingsRecord.update;
export type UpdateSettings = z.infer<typeof updateSettingsSchema>;
export const settingsToWire = settingsRecord.toWire;

export type Theme = z.infer<typeof themeSchema>;
export type SyncMode = z.infer<typeof syncModeSchema>;
export type Accessibility = z.infer<typeof accessibilitySchema>;
export type SyncPrefs = z.infer<typeof syncPrefsSchema>;
