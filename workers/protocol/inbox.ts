import { z } from "zod";
import { inboxItems } from "../../db/schema.ts";
import { tagsSchema, tagsToColumns } from "./common.ts";
import { declareRecord } from "./declare.ts";
import { LIMITS } from "./rules.ts";

export { normalizeTags } from "./rules.ts";

export const inboxItemRecord = declareRecord({
  entity: "inbox_item",
  table: inboxItems,
  label: "Inbox item",
  component: "InboxItem",
  fields: {
    title: z.string().trim().min(1).max(LIMITS.inbox.title),
    description: z.string().max(LIMITS.inbox.description),
    tags: tagsSchema,
    /** Tick it off (the server stamps the time) or reopen it. */
    done: z.boolean(),
    /** Put it away out of the inbox, or bring it back. */
    archived: z.boolean(),
  },
  required: ["title"],
  api: { path: "/api/user/inbox", tag: "Inbox" },
  sample: { title: "An idea" },
  updateOnly: ["done", "archived"],
  toColumns: {
    tags: tagsToColumns,
    // The server stamps the moment: devices' clocks disagree.
    done: (done) => ({ doneAt: done ? new Date() : null }),
    archived: (archived) => ({ archivedAt: archived ? new Date() : null }),
  },
});

export const inboxItemSchema = inboxItemRecord.schema;
export type InboxItem = z.infer<typeof inboxItemSchema>;
export type CreateInboxItem = z.infer<typeof inboxItemRecord.create>;
export type UpdateInboxItem = z.infer<typeof inboxItemRecord.update>;
export const inboxItemToWire = inboxItemRecord.toWire;
