/** SPEC §5 Inbox (quick capture). */
import type { Context } from "hono";
import { listInbox } from "../data/inbox";
import type { AppEnv } from "../env";
import { userApp } from "../lib/user-app";
import { jsonBody, queryParams } from "../lib/validate";
import {
  createInboxItemSchema,
  inboxItemToWire,
  listInboxQuery,
  normalizeTags,
  updateInboxItemSchema,
} from "../protocol/inbox";
import { expectedVersion, findOwned, type RowOf, sendRecord, write } from "../sync/write";

const respond = (c: Context<AppEnv>, row: RowOf<"inbox_item">, status: 200 | 201 = 200) =>
  sendRecord(c, "inbox_item", row, status);

export const inbox = userApp()
  .get("/", queryParams(listInboxQuery), async (c) => {
    const q = c.req.valid("query");
    const { items, total } = await listInbox(c.var.db, c.var.user.id, q);
    return c.json({ items: items.map(inboxItemToWire), page: q.page, page_size: q.page_size, total });
  })
  .post("/", jsonBody(createInboxItemSchema), async (c) => {
    const body = c.req.valid("json");
    const { row, created } = await write(c, (w) =>
      w.insert("inbox_item", {
        ...(body.id ? { id: body.id } : {}),
        title: body.title,
        description: body.description ?? "",
        tags: normalizeTags(body.tags ?? []),
      }),
    );
    return respond(c, row, created ? 201 : 200);
  })
  .get("/:id", async (c) => respond(c, await findOwned(c.var.db, "inbox_item", c.var.user.id, c.req.param("id"))))
  .put("/:id", jsonBody(updateInboxItemSchema), async (c) => {
    const { version, tags, ...rest } = c.req.valid("json");
    const expected = expectedVersion(c, version);
    const row = await write(c, (w) =>
      w.update("inbox_item", c.req.param("id"), expected, { ...rest, ...(tags ? { tags: normalizeTags(tags) } : {}) }),
    );
    return respond(c, row);
  })
  .delete("/:id", async (c) => {
    const expected = expectedVersion(c);
    await write(c, (w) => w.remove("inbox_item", c.req.param("id"), expected));
    return c.body(null, 204);
  });
