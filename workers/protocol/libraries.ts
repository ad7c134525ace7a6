import { z } from "zod";
import { declareRecord, declareWithoutCrud } from "./declare.ts";
import { focusLibraries, focusTracks } from "../../db/schema.ts";
import { pageQuery, versionField } from "./common.ts";
import { LIMITS } from "./rules.ts";

/** At most this many tracks per library (reorders touch every track in between). */
export const MAX_TRACKS = LIMITS.library.tracks;

const name = z.string().trim().min(1).max(LIMITS.library.name);
const description = z.string().max(LIMITS.library.description);
const title = z.string().trim().min(1).max(LIMITS.track.title);
export const httpUrl = z.url({ protocol: /^https?$/ }).max(LIMITS.url);
const durationS = z.number().min(0).max(LIMITS.track.durationS);
const position = z.number().int().min(0);

/** A focus library: a named, ordered set of tracks (its tracks are their own records). */
export const focusLibraryRecord = declareRecord({
  entity: "focus_library",
  table: focusLibraries,
  label: "Focus library",
  component: "FocusLibrary",
  fields: { name, description, favorite: z.boolean() },
  required: ["name"],
  api: { path: "/api/focus/libraries", tag: "Focus libraries" },
  sample: { name: "A library" },
});

export const focusLibrarySchema = focusLibraryRecord.schema;
export type FocusLibrary = z.infer<typeof focusLibrarySchema>;
export type CreateLibrary = z.infer<typeof focusLibraryRecord.create>;
export const focusLibraryToWire = focusLibraryRecord.toWire;

/**
 * A track of a library: an uploaded file (`audio_id`) or an external `url`;
 * `position` is 0-based and dense within the library. Its writes are database
 * functions (data/libraries.ts) under the library's row lock, so its create
 * and update bodies are stated below, not derived.
 */
export const focusTrackRecord = declareWithoutCrud({
  entity: "focus_track",
  table: focusTracks,
  label: "Track",
  component: "FocusTrack",
  fields: {},
});
export const focusTrackSchema = focusTrackRecord.schema;
export type FocusTrack = z.infer<typeof focusTrackSchema>;

/** GET /api/focus/libraries/{id}: the library with its tracks in order. */
export const focusLibraryDetailSchema = focusLibrarySchema.extend({ tracks: z.array(focusTrackSchema) });
export type FocusLibraryDetail = z.infer<typeof focusLibraryDetailSchema>;

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

export const focusTrackToWire = focusTrackRecord.toWire;
