/** SPEC §5 Inbox (quick capture): the plain CRUD shape, filtered by `?tag=`. */
import { listInbox } from "../data/inbox";
import { crudRoutes } from "../http/crud";
import { createApi } from "../http/openapi";
import {
  createInboxItemSchema,
  inboxItemSchema,
  listInboxQuery,
  normalizeTags,
  updateInboxItemSchema,
} from "../protocol/inbox";

export const inbox = createApi();

crudRoutes(inbox, {
  pipelined: true,
  entity: "inbox_item",
  tag: "Inbox",
  name: "InboxItem",
  schemas: {
    record: inboxItemSchema,
    create: createInboxItemSchema,
    update: updateInboxItemSchema,
    list: listInboxQuery,
  },
  list: listInbox,
  toInsert: (b) => ({ title: b.title, description: b.description ?? "", tags: normalizeTags(b.tags ?? []) }),
  toUpdate: ({ tags, done, archived, ...rest }) => ({
    ...rest,
    ...(tags ? { tags: normalizeTags(tags) } : {}),
    // The server stamps the moment: devices' clocks disagree.
    ...(done === undefined ? {} : { doneAt: done ? new Date() : null }),
    ...(archived === undefined ? {} : { archivedAt: archived ? new Date() : null }),
  }),
});
