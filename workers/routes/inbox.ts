/** SPEC §5 Inbox (quick capture): the plain CRUD shape, filtered by `?tag=`. */
import { listInbox } from "../data/inbox";
import { crudRoutes, declaredCrud } from "../http/crud";
import { createApi } from "../http/openapi";
import { inboxItemRecord, listInboxQuery } from "../protocol/inbox";

export const inbox = createApi();

crudRoutes(inbox, { ...declaredCrud(inboxItemRecord, listInboxQuery), pipelined: true, list: listInbox });
