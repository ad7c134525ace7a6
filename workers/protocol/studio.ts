/** SPEC §5 Studio: loops, likes, songs and the public feed — wire shapes and request schemas. */
import { z } from "zod";
import { loopLikes, loops, songs } from "../../db/schema";
import { pageQuery, recordBase, recordToWire, versionField } from "./common";
import { defineJoinRecord, defineRecord } from "./declare";
import { CHORD_PATTERN, DEFAULT_TIME_SIGNATURE, LIMITS, TIME_SIGNATURES } from "./rules";

const L = LIMITS.loop;
const S = LIMITS.song;

const name = z.string().trim().min(1).max(L.name);
const bars = z.union(L.bars.map((b) => z.literal(b)));
const bpm = z.number().int().min(L.minBpm).max(L.maxBpm);
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour like #1a2b3c");
const chord = z.string().regex(CHORD_PATTERN, "a chord like Am7, F#dim or Bb");
const chords = z.array(chord).max(Math.max(...L.bars) * L.beatsPerBar);
const icon = z.string().trim().min(1).max(L.icon);
const icons = z.array(icon).max(L.icons);
const visibility = z.enum(["private", "public"]);

/** ≤ bars × 4 chords: a rule across two fields (bars may come from the stored loop on update). */
export const chordsFit = (chordCount: number, barCount: number) => chordCount <= barCount * L.beatsPerBar;
const tooManyChords = { message: "At most bars × 4 chords.", path: ["chord_progression"] };

export const loopSchema = z
  .object({
    ...recordBase,
    name: z.string(),
    bars: z.number(),
    bpm: z.number(),
    color: z.string(),
    chord_progression: z.array(z.string()),
    icon_sequence: z.array(z.string()),
    visibility,
    remixable: z.boolean(),
    parent_loop_id: z.uuid().nullable(),
    /** The parent's owner deleted their account: a remix "of a deleted user" (parent_loop_id is null). */
    parent_owner_deleted: z.boolean(),
    owner: z.object({ id: z.uuid(), username: z.string() }),
    plays_count: z.number(),
    likes_count: z.number(),
    remixes_count: z.number(),
  })
  .meta({ id: "Loop" });
export type Loop = z.infer<typeof loopSchema>;

export const createLoopSchema = z
  .strictObject({
    id: z.uuid().optional(),
    name,
    bars,
    bpm,
    color,
    chord_progression: chords.default([]),
    icon_sequence: icons.default([]),
    visibility: visibility.default("private"),
    remixable: z.boolean().default(false),
  })
  .refine((l) => chordsFit(l.chord_progression.length, l.bars), tooManyChords);
export type CreateLoop = z.input<typeof createLoopSchema>;

export const updateLoopSchema = z.strictObject({
  name: name.optional(),
  bars: bars.optional(),
  bpm: bpm.optional(),
  color: color.optional(),
  chord_progression: chords.optional(),
  icon_sequence: icons.optional(),
  visibility: visibility.optional(),
  remixable: z.boolean().optional(),
  ...versionField,
});
export type UpdateLoop = z.infer<typeof updateLoopSchema>;

/** POST …/remix: a client may choose the new loop's id (a retried remix makes one loop) and its name. */
export const remixLoopSchema = z.strictObject({ id: z.uuid().optional(), name: name.optional() });

export const likeResponseSchema = z.object({ liked: z.boolean(), likes_count: z.number() });

/** The caller's like of a loop, as synced to the caller's devices: its id is the loop's id. */
export const loopLikeSchema = z
  .object({ id: z.uuid(), loop_id: z.uuid(), version: z.number(), created_at: z.string() })
  .meta({ id: "LoopLike" });
export type LoopLike = z.infer<typeof loopLikeSchema>;

const timelineEntry = z.strictObject({
  loop_id: z.uuid(),
  start_bar: z.number().int().min(0).max(S.maxStartBar),
  repeat: z.number().int().min(1).max(S.maxRepeat),
});
const timeline = z.array(timelineEntry).max(S.timeline);
const title = z.string().trim().min(1).max(S.title);
const timeSignature = z.enum(TIME_SIGNATURES);

export const songSchema = z
  .object({
    ...recordBase,
    title: z.string(),
    bpm: z.number(),
    time_signature: timeSignature,
    timeline: z.array(z.object({ loop_id: z.uuid(), start_bar: z.number(), repeat: z.number() })),
    visibility,
  })
  .meta({ id: "Song" });
export type Song = z.infer<typeof songSchema>;

export const createSongSchema = z.strictObject({
  id: z.uuid().optional(),
  title,
  bpm,
  time_signature: timeSignature.default(DEFAULT_TIME_SIGNATURE),
  timeline: timeline.default([]),
  visibility: visibility.default("private"),
});
export type CreateSong = z.input<typeof createSongSchema>;

export const updateSongSchema = z.strictObject({
  title: title.optional(),
  bpm: bpm.optional(),
  time_signature: timeSignature.optional(),
  timeline: timeline.optional(),
  visibility: visibility.optional(),
  ...versionField,
});
export type UpdateSong = z.infer<typeof updateSongSchema>;

/** The feed's cursor is opaque: base64url of the last item's sort key. */
export const feedQuery = z.strictObject({
  sort: z.enum(["new", "top"]).default("new"),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type FeedQuery = z.infer<typeof feedQuery>;

/** A feed item: the public loop, whether the caller likes it, and whose loop it remixes. */
export const feedItemSchema = loopSchema.extend({
  liked: z.boolean(),
  remix_of: z.object({ loop_id: z.uuid(), owner: z.object({ id: z.uuid(), username: z.string() }) }).nullable(),
});
export type FeedItem = z.infer<typeof feedItemSchema>;
export const feedResponseSchema = z.object({ items: z.array(feedItemSchema), next_cursor: z.string().nullable() });
export type FeedResponse = z.infer<typeof feedResponseSchema>;

export const lineageResponseSchema = z.object({ items: z.array(loopSchema) });

export function loopToWire(row: typeof loops.$inferSelect): Loop {
  return {
    ...recordToWire(row),
    name: row.name,
    bars: row.bars,
    bpm: row.bpm,
    color: row.color,
    chord_progression: row.chordProgression,
    icon_sequence: row.iconSequence,
    visibility: row.visibility,
    remixable: row.remixable,
    parent_loop_id: row.parentLoopId,
    parent_owner_deleted: row.parentOwnerDeleted,
    owner: { id: row.userId, username: row.ownerUsername },
    plays_count: row.playsCount,
    likes_count: row.likesCount,
    remixes_count: row.remixesCount,
  };
}

export function loopLikeToWire(row: typeof loopLikes.$inferSelect): LoopLike {
  return { id: row.loopId, loop_id: row.loopId, version: 1, created_at: row.createdAt.toISOString() };
}

export function songToWire(row: typeof songs.$inferSelect): Song {
  return {
    ...recordToWire(row),
    title: row.title,
    bpm: row.bpm,
    time_signature: row.timeSignature,
    timeline: row.timeline,
    visibility: row.visibility,
  };
}

export const listStudioQuery = z.strictObject({ ...pageQuery });

export const loopRecord = defineRecord({
  entity: "loop",
  table: loops,
  toWire: loopToWire,
  schema: loopSchema,
  label: "Loop",
});
/** The caller's likes (record id = the loop's id), written only through `w.log`. */
export const loopLikeRecord = defineJoinRecord({
  entity: "loop_like",
  table: loopLikes,
  toWire: loopLikeToWire,
  schema: loopLikeSchema,
  label: "Like",
});
export const songRecord = defineRecord({
  entity: "song",
  table: songs,
  toWire: songToWire,
  schema: songSchema,
  label: "Song",
});
