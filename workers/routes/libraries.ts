/** SPEC §5 Focus libraries and their tracks (mounted at /api/focus/libraries). */
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { focusLibraries, type focusTracks } from "../../db/schema";
import { addTrack, editTrack, listLibraries, removeLibrary, removeTrack, tracksOf } from "../data/libraries";
import type { AppEnv } from "../env";
import { userApp } from "../lib/user-app";
import { jsonBody, queryParams } from "../lib/validate";
import {
  createLibrarySchema,
  createTrackSchema,
  focusLibraryToWire,
  focusTrackToWire,
  listLibrariesQuery,
  updateLibrarySchema,
  updateTrackSchema,
} from "../protocol/libraries";
import { expectedVersion, findOwned, sendRecord, write } from "../sync/write";

type Library = typeof focusLibraries.$inferSelect;
type Track = typeof focusTracks.$inferSelect;

const respond = (c: Context<AppEnv>, row: Library, status: 200 | 201 = 200) =>
  sendRecord(c, "focus_library", row, status);
const respondTrack = (c: Context<AppEnv>, row: Track, status: 200 | 201 = 200) =>
  sendRecord(c, "focus_track", row, status);

export const libraries = userApp()
  .get("/", queryParams(listLibrariesQuery), async (c) => {
    const q = c.req.valid("query");
    const { items, total } = await listLibraries(c.var.db, c.var.user.id, q);
    return c.json({ items: items.map(focusLibraryToWire), page: q.page, page_size: q.page_size, total });
  })
  .post("/", jsonBody(createLibrarySchema), async (c) => {
    const b = c.req.valid("json");
    const { row, created } = await write(c, (w) =>
      w.insert("focus_library", {
        ...(b.id ? { id: b.id } : {}),
        name: b.name,
        description: b.description ?? "",
        favorite: b.favorite ?? false,
      }),
    );
    return respond(c, row, created ? 201 : 200);
  })
  .get("/:id", async (c) => {
    const row = await findOwned(c.var.db, "focus_library", c.var.user.id, c.req.param("id"));
    const tracks = await tracksOf(c.var.db, row.id);
    c.header("ETag", `"${row.version}"`);
    return c.json({ ...focusLibraryToWire(row), tracks: tracks.map(focusTrackToWire) });
  })
  .put("/:id", jsonBody(updateLibrarySchema), async (c) => {
    const { version, ...set } = c.req.valid("json");
    const expected = expectedVersion(c, version);
    return respond(c, await write(c, (w) => w.update("focus_library", c.req.param("id"), expected, set)));
  })
  .delete("/:id", async (c) => {
    const expected = expectedVersion(c);
    await write(c, (w) => removeLibrary(w, c.var.user.id, c.req.param("id"), expected), { transaction: true });
    return c.body(null, 204);
  })
  .post("/:id/favorite", async (c) => {
    const expected = expectedVersion(c);
    const toggled = { favorite: sql`not ${focusLibraries.favorite}` };
    return respond(c, await write(c, (w) => w.update("focus_library", c.req.param("id"), expected, toggled)));
  })
  .post("/:id/tracks", jsonBody(createTrackSchema), async (c) => {
    const body = c.req.valid("json");
    const { row, created } = await write(c, (w) => addTrack(w, c.var.user.id, c.req.param("id"), body), {
      transaction: true,
    });
    return respondTrack(c, row, created ? 201 : 200);
  })
  .put("/:id/tracks/:trackId", jsonBody(updateTrackSchema), async (c) => {
    const { version, ...patch } = c.req.valid("json");
    const expected = expectedVersion(c, version);
    const { id, trackId } = c.req.param();
    const row = await write(c, (w) => editTrack(w, c.var.user.id, id, trackId, expected, patch), { transaction: true });
    return respondTrack(c, row);
  })
  .delete("/:id/tracks/:trackId", async (c) => {
    const expected = expectedVersion(c);
    const { id, trackId } = c.req.param();
    await write(c, (w) => removeTrack(w, c.var.user.id, id, trackId, expected), { transaction: true });
    return c.body(null, 204);
  });
