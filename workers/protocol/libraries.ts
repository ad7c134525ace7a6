import { z } from "zod";
import { defineRecord } from "./declare";
import { focusLibraries, focusTracks } from "../../db/schema";
import { pageQuery, recordBase, recordToWire, versionField } from "./common";
import { LIMITS } from "./rules";

/** At most this many tracks per library (reorders touch every track in between). */
export const MAX_TRACKS = LIMITS.library.tracks;

const name = z.string().trim().min(1).max(LIMITS.library.name);
const description = z.string().max(LIMITS.library.description);
const title = z.string().trim().min(1).max(LIMITS.track.title);
export const httpUrl = z.url({ protocol: /^https?$/ }).max(LIMITS.url);
const durationS = z.number().min(0).max(LIMITS.track.durationS);
const position = z.number().int().min(0);

export const focusLibrarySchema = z
  .object({
    ...recordBase,
    name: z.string(),
    description: z.string(),
    favorite: z.boolean(),
  })
  .meta({ id: "FocusLibrary" });
export type FocusLibrary = z.infer<typeof focusLibrarySchema>;

export const focusTrackSchema = z
  .object({
    ...recordBase,
    library_id: z.uuid(),
    title: z.string(),
    audio_id: z.uuid().nullable(),
    url: z.string().nullable(),
    duration_s: z.number().nullable(),
    /** 0-based, dense within the library. */
    position: z.number(),
  })
  .meta({ id: "FocusTrack" });
export type FocusTrack = z.infer<typeof focusTrackSchema>;

/** GET /api/focus/libraries/{id}: the library with its tracks in order. */
export const focusLibraryDetailSchema = focusLibrarySchema.extend({ tracks: z.array(focusTrackSchema) });
export type FocusLibraryDetail = z.infer<typeof focusLibraryDetailSchema>;

export const createLibrarySchema = z.strictObject({
  id: z.uuid().optional(),
  name,
  description: description.optional(),
  favorite: z.boolean().optional(),
});
export type CreateLibrary = z.infer<typeof createLibrarySchema>;

export const updateLibrarySchema = z.strictObject({
  name: name.optional(),
  description: description.optional(),
  favorite: z.boolean().optional(),
  ...versionField,
});

export const listLibrariesQuery = z.strictObject({ ...pageQuery });

const oneSource = (t: { audio_id?: unknown; url?: unknown }) => !(t.audio_id != null && t.url != null);
const sourceIssue = { message: "Give either audio_id or url, not both.", path: ["url"] };

/** A track plays an uploaded file (`audio_id`) or an external `url`; `position` inserts there (default: the end). */
export const createTrackSchema = z
  .strictObject({
    id: z.uuid().optional(),
    title,
    audio_id: z.uuid().optional(),
    url: httpUrl.optional(),
    duration_s: durationS.optional(),
    position: position.optional(),
  })
  .refine(oneSource, sourceIssue)
  .refine((t) => t.audio_id !== undefined || t.url !== undefined, {
    message: "Give audio_id or url.",
    path: ["audio_id"],
  });
export type CreateTrack = z.infer<typeof createTrackSchema>;

/** Setting `audio_id` clears `url` and vice versa; `position` moves the track (clamped to the end). */
export const updateTrackSchema = z
  .strictObject({
    title: title.optional(),
    audio_id: z.uuid().optional(),
    url: httpUrl.optional(),
    duration_s: durationS.nullable().optional(),
    position: position.optional(),
    ...versionField,
  })
  .refine(oneSource, sourceIssue);
export type UpdateTrack = z.infer<typeof updateTrackSchema>;

export function focusLibraryToWire(row: typeof focusLibraries.$inferSelect): FocusLibrary {
  return { ...recordToWire(row), name: row.name, description: row.description, favorite: row.favorite };
}

export function focusTrackToWire(row: typeof focusTracks.$inferSelect): FocusTrack {
  return {
    ...recordToWire(row),
    library_id: row.libraryId,
    title: row.title,
    audio_id: row.audioId,
    url: row.url,
    duration_s: row.durationS,
    position: row.position,
  };
}

export const focusLibraryRecord = defineRecord({
  entity: "focus_library",
  table: focusLibraries,
  toWire: focusLibraryToWire,
  schema: focusLibrarySchema,
  label: "Focus library",
});
export const focusTrackRecord = defineRecord({
  entity: "focus_track",
  table: focusTracks,
  toWire: focusTrackToWire,
  schema: focusTrackSchema,
  label: "Track",
});
