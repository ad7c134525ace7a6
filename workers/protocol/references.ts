import { z } from "zod";
import { referenceItems } from "../../db/schema.ts";
import { pageQuery, tagSchema, tagsSchema, tagsToColumns } from "./common.ts";
import { declareRecord } from "./declare.ts";
import { httpUrl } from "./libraries.ts";
import { LIMITS } from "./rules.ts";

const category = z.string().trim().min(1).max(LIMITS.reference.category);

/** `null` in an update clears `url`, `category` and `audio_id`. */
export const referenceRecord = declareRecord({
  entity: "reference",
  table: referenceItems,
  label: "Reference",
  component: "Reference",
  fields: {
    title: z.string().trim().min(1).max(LIMITS.reference.title),
    content: z.string().max(LIMITS.reference.content),
    url: httpUrl.nullable(),
    category: category.nullable(),
    tags: tagsSchema,
    pinned: z.boolean(),
    archived: z.boolean(),
    audio_id: z.uuid().nullable(),
  },
  required: ["title"],
  api: { path: "/api/references", tag: "References" },
  sample: { title: "A note" },
  hidden: ["search"],
  toColumns: { tags: tagsToColumns },
});

export const referenceSchema = referenceRecord.schema;
export type Reference = z.infer<typeof referenceSchema>;
export type CreateReference = z.infer<typeof referenceRecord.create>;
export type UpdateReference = z.infer<typeof referenceRecord.update>;
export const referenceToWire = referenceRecord.toWire;

/**
 * Pinned first, then (with `q`) best match, then newest. `archived`: `false`
 * (default) hides archived ones, `true` lists only them, `all` both.
 * `category` matches exactly; `tag` case-insensitively; `q` matches words of
 * title and content by prefix ("comp" finds "composition").
 */
export const listReferencesQuery = z.strictObject({
  ...pageQuery,
  category: category.optional(),
  tag: tagSchema.optional(),
  q: z.string().trim().max(LIMITS.reference.query).optional(),
  archived: z.enum(["true", "false", "all"]).default("false"),
});
export type ListReferences = z.infer<typeof listReferencesQuery>;
