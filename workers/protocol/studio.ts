/** SPEC §5 Studio: loops, likes, songs and the public feed — wire shapes and request schemas. */
import { z } from "zod";
import { loopLikes, loops, songs } from "../../db/schema.ts";
import { pageQuery } from "./common.ts";
import { declareRecord, defineJoinRecord } from "./declare.ts";
import { CHORD_PATTERN, LIMITS, TIME_SIGNATURES } from "./rules.ts";

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

const owner = z.object({ id: z.uuid(), username: z.string() });

/**
 * A loop. Its id is unique across users (public loops are addressed by id
 * alone); its counters are the server's (not part of `version`); `owner` is
 * the row's user and the username copied at creation.
 */
export const loopRecord = declareRecord({
  entity: "loop",
  table: loops,
  label: "Loop",
  component: "Loop",
  fields: {
    name,
    bars,
    bpm,
    color,
    chord_progression: chords,
    icon_sequence: icons,
    visibility,
    remixable: z.boolean(),
  },
  required: ["name", "bars", "bpm", "color"],
  createRule: {
    holds: (l) => chordsFit(l.chord_progression?.length ?? 0, l.bars ?? 0),
    message: "At most bars × 4 chords.",
    path: ["chord_progression"],
  },
  // The top feed's rank is derived, not part of the record.
  hidden: ["hotScore"],
  wire: { chord_progression: z.array(z.string()), icon_sequence: z.array(z.string()) },
  computed: {
    owner: {
      schema: owner,
      of: (row: Pick<typeof loops.$inferSelect, "userId" | "ownerUsername">) => ({
        id: row.userId,
        username: row.ownerUsername,
      }),
      replaces: ["ownerUsername"],
    },
  },
  api: { path: "/api/studio/loops", tag: "Studio" },
  sample: { name: "A loop", bars: 1, bpm: 100, color: "#112233" },
});

export const loopSchema = loopRecord.schema;
export type Loop = z.infer<typeof loopSchema>;
export type CreateLoop = z.input<typeof loopRecord.create>;
export type UpdateLoop = z.infer<typeof loopRecord.update>;
export const loopToWire = loopRecord.toWire;

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

/** A song: loops placed on a timeline (own loops only: its route module checks them). */
export const songRecord = declareRecord({
  entity: "song",
  table: songs,
  label: "Song",
  component: "Song",
  fields: {
    title: z.string().trim().min(1).max(S.title),
    bpm,
    time_signature: z.enum(TIME_SIGNATURES),
    timeline: z.array(timelineEntry).max(S.timeline),
    visibility,
  },
  required: ["title", "bpm"],
  wire: { timeline: z.array(z.object({ loop_id: z.uuid(), start_bar: z.number(), repeat: z.number() })) },
  api: { path: "/api/studio/songs", tag: "Studio" },
  sample: { title: "A song", bpm: 90 },
});

export const songSchema = songRecord.schema;
export type Song = z.infer<typeof songSchema>;
export type CreateSong = z.input<typeof songRecord.create>;
export type UpdateSong = z.infer<typeof songRecord.update>;

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

export function loopLikeToWire(row: typeof loopLikes.$inferSelect): LoopLike {
  return { id: row.loopId, loop_id: row.loopId, version: 1, created_at: row.createdAt.toISOString() };
}

export const listStudioQuery = z.strictObject({ ...pageQuery });

/** The caller's likes (record id = the loop's id), written only through `w.log`. */
export const loopLikeRecord = defineJoinRecord({
  entity: "loop_like",
  table: loopLikes,
  toWire: loopLikeToWire,
  schema: loopLikeSchema,
  label: "Like",
});
