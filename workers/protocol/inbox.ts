import { z } from "zod";
import { defineRecord } from "./record";
import { inboxItems } from "../../db/schema";
import { pageQuery, recordBase, recordToWire, versionField } from "./common";
import { LIMITS } from "./rules";

export { normalizeTags } from "./rules";

const title = z.string().trim().min(1).max(LIMITS.inbox.title);
const description = z.string().max(LIMITS.inbox.description);
const tag = z.string().trim().min(1).max(LIMITS.tag);
const tags = z.array(tag).max(LIMITS.tagsPerRecord);

export const inboxItemSchema = z
  .object({
    ...recordBase,
    title: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
  })
  .meta({ id: "InboxItem" });
export type InboxItem = z.infer<typeof inboxItemSchema>;

export const createInboxItemSchema = z.strictObject({
  id: z.uuid().optional(),
  title,
  description: description.optional(),
  tags: tags.optional(),
});
export type CreateInboxItem = z.infer<typeof createInboxItemSchema>;

export const updateInboxItemSchema = z.strictObject({
  title: title.optional(),
  description: description.optional(),
  tags: tags.optional(),
  ...versionField,
});
export type UpdateInboxItem = z.infer<typeof updateInboxItemSchema>;

export const listInboxQuery = z.strictObject({ ...pageQuery, tag: tag.optional() });

export function inboxItemToWire(row: typeof inboxItems.$inferSelect): InboxItem {
  return { ...recordToWire(row), title: row.title, description: row.description, tags: row.tags };
}

export const inboxItemRecord = defineRecord({
  entity: "inbox_item",
  table: inboxItems,
  toWire: inboxItemToWire,
  schema: inboxItemSchema,
  label: "Inbox item",
});
