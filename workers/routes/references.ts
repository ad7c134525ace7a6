/** SPEC §5 References: notes, links and recordings; pinned first, archived hidden unless asked, `q` full-text. */
import type { Context } from "hono";
import type { referenceItems } from "../../db/schema";
import { lockAudio } from "../data/audio";
import { listReferences } from "../data/references";
import type { AppEnv } from "../env";
import { userApp } from "../lib/user-app";
import { jsonBody, queryParams } from "../lib/validate";
import { normalizeTags } from "../protocol/inbox";
import {
  createReferenceSchema,
  listReferencesQuery,
  referenceToWire,
  updateReferenceSchema,
} from "../protocol/references";
import { expectedVersion, findOwned, sendRecord, write, type Writer } from "../sync/write";

type Row = typeof referenceItems.$inferSelect;
const respond = (c: Context<AppEnv>, row: Row, status: 200 | 201 = 200) => sendRecord(c, "reference", row, status);

/** A referenced recording must be the user's; the row lock keeps it from being deleted meanwhile. */
const withAudio = (audioId: string | null | undefined) => ({ transaction: Boolean(audioId) });
const checkAudio = async (w: Writer, userId: string, audioId: string | null | undefined) => {
  if (audioId) await lockAudio(w.db, userId, audioId, "key share");
};

export const references = userApp()
  .get("/", queryParams(listReferencesQuery), async (c) => {
    const q = c.req.valid("query");
    const { items, total } = await listReferences(c.var.db, c.var.user.id, q);
    return c.json({ items: items.map(referenceToWire), page: q.page, page_size: q.page_size, total });
  })
  .post("/", jsonBody(createReferenceSchema), async (c) => {
    const b = c.req.valid("json");
    const { row, created } = await write(
      c,
      async (w) => {
        await checkAudio(w, c.var.user.id, b.audio_id);
        return w.insert("reference", {
          ...(b.id ? { id: b.id } : {}),
          title: b.title,
          content: b.content ?? "",
          url: b.url ?? null,
          category: b.category ?? null,
          tags: normalizeTags(b.tags ?? []),
          pinned: b.pinned ?? false,
          archived: b.archived ?? false,
          audioId: b.audio_id ?? null,
        });
      },
      withAudio(b.audio_id),
    );
    return respond(c, row, created ? 201 : 200);
  })
  .get("/:id", async (c) => respond(c, await findOwned(c.var.db, "reference", c.var.user.id, c.req.param("id"))))
  .put("/:id", jsonBody(updateReferenceSchema), async (c) => {
    const { version, tags, audio_id, ...rest } = c.req.valid("json");
    const expected = expectedVersion(c, version);
    const set = {
      ...rest,
      ...(tags ? { tags: normalizeTags(tags) } : {}),
      ...(audio_id !== undefined ? { audioId: audio_id } : {}),
    };
    const row = await write(
      c,
      async (w) => {
        await checkAudio(w, c.var.user.id, audio_id);
        return w.update("reference", c.req.param("id"), expected, set);
      },
      withAudio(audio_id),
    );
    return respond(c, row);
  })
  .delete("/:id", async (c) => {
    const expected = expectedVersion(c);
    await write(c, (w) => w.remove("reference", c.req.param("id"), expected));
    return c.body(null, 204);
  });
