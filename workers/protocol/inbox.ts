import { z } from "zod";
import { defineRecord } from "./record";
import { inboxItems } from "../../db/schema";
import { iso, pageQuery, recordBase, recordToWire, versionField } from "./common";
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
    done_at: z.union([z.string(), z.null()]),
    archived_at: z.union([z.string(), z.null()]),
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
  /** Tick it off (the server stamps the time) or reopen it. */
  done: z.boolean().optional(),
  /** Put it away out of the inbox, or bring it back. */
  archived: z.boolean().optional(),
  ...versionField,
});
export type UpdateInboxItem = z.infer<typeof updateInboxItemSchema>;

export const listInboxQuery = z.strictObject({ ...pageQuery, tag: tag.optional() });

export function inboxItemToWire(row: typeof inboxItems.$inferSelect): InboxItem {
  return {
    ...recordToWire(row),
    title: row.title,
    description: row.description,
    tags: row.tags,
    done_at: iso(row.doneAt),
    archived_at: iso(row.archivedAt),
  };
}

export const inboxItemRecord = defineRecord({
  entity: "inbox_item",
  table: inboxItems,
  toWire: inboxItemToWire,
  schema: inboxItemSchema,
  label: "Inbox item",
});
