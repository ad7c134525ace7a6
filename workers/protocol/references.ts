import { z } from "zod";
import { defineRecord } from "./record";
import { referenceItems } from "../../db/schema";
import { pageQuery, recordBase, recordToWire, versionField } from "./common";
import { httpUrl } from "./libraries";
import { LIMITS } from "./rules";

const title = z.string().trim().min(1).max(LIMITS.reference.title);
const content = z.string().max(LIMITS.reference.content);
const category = z.string().trim().min(1).max(LIMITS.reference.category);
const tag = z.string().trim().min(1).max(LIMITS.tag);
const tags = z.array(tag).max(LIMITS.tagsPerRecord);

export const referenceSchema = z
  .object({
    ...recordBase,
    title: z.string(),
    content: z.string(),
    url: z.string().nullable(),
    category: z.string().nullable(),
    tags: z.array(z.string()),
    pinned: z.boolean(),
    archived: z.boolean(),
    audio_id: z.uuid().nullable(),
  })
  .meta({ id: "Reference" });
export type Reference = z.infer<typeof referenceSchema>;

/** The fields after `title` are optional in both create and update, so they are stated once. */
const optionalFields = {
  content: content.optional(),
  url: httpUrl.nullable().optional(),
  category: category.nullable().optional(),
  tags: tags.optional(),
  pinned: z.boolean().optional(),
  archived: z.boolean().optional(),
  audio_id: z.uuid().nullable().optional(),
};

export const createReferenceSchema = z.strictObject({ id: z.uuid().optional(), title, ...optionalFields });
export type CreateReference = z.infer<typeof createReferenceSchema>;

/** Partial update; `null` clears `url`, `category` and `audio_id`. */
export const updateReferenceSchema = z.strictObject({ title: title.optional(), ...optionalFields, ...versionField });
export type UpdateReference = z.infer<typeof updateReferenceSchema>;

/**
 * Pinned first, then (with `q`) best match, then newest. `archived`: `false`
 * (default) hides archived ones, `true` lists only them, `all` both.
 * `category` matches exactly; `tag` case-insensitively; `q` matches words of
 * title and content by prefix ("comp" finds "composition").
 */
export const listReferencesQuery = z.strictObject({
  ...pageQuery,
  category: category.optional(),
  tag: tag.optional(),
  q: z.string().trim().max(LIMITS.reference.query).optional(),
  archived: z.enum(["true", "false", "all"]).default("false"),
});
export type ListReferences = z.infer<typeof listReferencesQuery>;

export function referenceToWire(row: Omit<typeof referenceItems.$inferSelect, "search">): Reference {
  return {
    ...recordToWire(row),
    title: row.title,
    content: row.content,
    url: row.url,
    category: row.category,
    tags: row.tags,
    pinned: row.pinned,
    archived: row.archived,
    audio_id: row.audioId,
  };
}

export const referenceRecord = defineRecord({
  entity: "reference",
  table: referenceItems,
  toWire: referenceToWire,
  schema: referenceSchema,
  label: "Reference",
});
