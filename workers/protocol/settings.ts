import { z } from "zod";
import { defineRecord } from "./declare";
import { settings } from "../../db/schema";
import { recordBase, recordToWire, versionField } from "./common";
import { isTimeZone } from "./market-rules";
import { FONT_SCALE, POLL_INTERVAL_S, UI_MAX_BYTES } from "./rules";

export { SETTINGS_DEFAULTS, UI_MAX_BYTES } from "./rules";

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

export const settingsSchema = z
  .object({
    ...recordBase,
    theme: themeSchema,
    accessibility: accessibilitySchema,
    ui: z.record(z.string(), z.unknown()),
    sync: syncPrefsSchema,
    time_zone: z.string().nullable(),
    accent: z.string().nullable(),
  })
  .meta({ id: "Settings" });
export type Settings = z.infer<typeof settingsSchema>;

/** PUT /api/settings: a partial merge; nested objects merge too. */
export const updateSettingsSchema = z.strictObject({
  theme: themeSchema.optional(),
  accessibility: accessibilitySchema.partial().optional(),
  ui: uiSchema.optional(),
  sync: syncPrefsSchema.partial().optional(),
  time_zone: timeZoneSchema.optional(),
  /** Must be the accent of a theme the user owns (409 not_owned otherwise); null = default. */
  accent: accentSchema.optional(),
  ...versionField,
});
export type UpdateSettings = z.infer<typeof updateSettingsSchema>;

export function settingsToWire(row: typeof settings.$inferSelect): Settings {
  return {
    ...recordToWire(row),
    theme: row.theme,
    accessibility: row.accessibility,
    ui: row.ui,
    sync: row.sync,
    time_zone: row.timeZone,
    accent: row.accent,
  };
}

export type Theme = z.infer<typeof themeSchema>;
export type SyncMode = z.infer<typeof syncModeSchema>;
export type Accessibility = z.infer<typeof accessibilitySchema>;
export type SyncPrefs = z.infer<typeof syncPrefsSchema>;

export const settingsRecord = defineRecord({
  entity: "settings",
  table: settings,
  toWire: settingsToWire,
  schema: settingsSchema,
  label: "Settings",
});
