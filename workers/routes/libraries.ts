/** SPEC §5 Focus libraries and their tracks (mounted at /api/focus/libraries). */
import {
  addTrack,
  editTrack,
  libraryQuery,
  listLibraries,
  removeLibrary,
  removeTrack,
  toggleFavorite,
  tracksOf,
} from "../data/libraries";
import { crudRoutes, declaredCrud } from "../http/crud";
import { createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import {
  createTrackSchema,
  focusLibraryDetailSchema,
  focusLibraryRecord,
  focusLibrarySchema,
  focusLibraryToWire,
  focusTrackSchema,
  focusTrackToWire,
  listLibrariesQuery,
  updateTrackSchema,
} from "../protocol/libraries";
import { expectedVersion, scopeOf, sendRecord } from "../http/record";
import { batch } from "../../db/client";
import { notFound } from "../errors";
import { isUuid } from "../protocol/common";

export const libraries = createApi();
const tags = ["Focus libraries"];
const library = jsonContent(focusLibrarySchema, "The library");
const track = jsonContent(focusTrackSchema, "The track");
const byId = { params: idParam("id") };
const byTrack = { params: idParam("id", "trackId") };

// List (favorites first), create and update are the plain shape; the read adds the tracks, the delete removes them.
crudRoutes(libraries, {
  ...declaredCrud(focusLibraryRecord, listLibrariesQuery),
  pipelined: true,
  plural: "FocusLibraries",
  only: ["list", "create", "update"],
  describe: { list: "Favorites first, then newest." },
  list: listLibraries,
});

register(
  libraries,
  route({
    pipelined: true,
    method: "get",
    path: "/{id}",
    tags,
    operationId: "getFocusLibrary",
    request: byId,
    responses: { 200: jsonContent(focusLibraryDetailSchema, "The library with its tracks in order") },
    errors: [404],
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    if (!isUuid(id)) throw notFound("Focus library");
    // The library and its tracks in one round trip (one batch).
    const [[row], tracks] = await batch(c.var.db, [
      libraryQuery(c.var.db, c.var.user.id, id),
      tracksOf(c.var.db, c.var.user.id, id),
    ]);
    if (!row) throw notFound("Focus library");
    c.header("ETag", `"${row.version}"`);
    return c.json({ ...focusLibraryToWire(row), tracks: tracks.map(focusTrackToWire) });
  },
);

register(
  libraries,
  route({
    pipelined: true,
    method: "delete",
    path: "/{id}",
    tags,
    operationId: "deleteFocusLibrary",
    description: "Deletes the library and its tracks.",
    request: byId,
    responses: { 204: { description: "Deleted" } },
    errors: [400, 404],
  }),
  async (c) => {
    const expected = expectedVersion(c);
    await removeLibrary(scopeOf(c), c.req.valid("param").id, expected);
    return c.body(null, 204);
  },
);

register(
  libraries,
  route({
    pipelined: true,
    method: "post",
    path: "/{id}/favorite",
    tags,
    operationId: "toggleFocusLibraryFavorite",
    request: byId,
    responses: { 200: library },
    errors: [400, 404],
  }),
  async (c) => {
    const row = await toggleFavorite(scopeOf(c), c.req.valid("param").id, expectedVersion(c));
    return sendRecord(c, "focus_library", row);
  },
);

register(
  libraries,
  route({
    pipelined: true,
    method: "post",
    path: "/{id}/tracks",
    tags,
    operationId: "addFocusTrack",
    request: { ...byId, ...jsonRequest(createTrackSchema) },
    responses: { 201: track, 200: jsonContent(focusTrackSchema, "The same create again: the existing track") },
    errors: [400, 404, 413, 415],
  }),
  async (c) => {
    const body = c.req.valid("json");
    const { row, created } = await addTrack(scopeOf(c), c.req.valid("param").id, body);
    return sendRecord(c, "focus_track", row, created ? 201 : 200);
  },
);

register(
  libraries,
  route({
    pipelined: true,
    method: "put",
    path: "/{id}/tracks/{trackId}",
    tags,
    operationId: "updateFocusTrack",
    description: "`position` moves the track (neighbours renumber).",
    request: { ...byTrack, ...jsonRequest(updateTrackSchema) },
    responses: { 200: track },
    errors: [400, 404, 413, 415],
  }),
  async (c) => {
    const { version, ...patch } = c.req.valid("json");
    const expected = expectedVersion(c, version);
    const { id, trackId } = c.req.valid("param");
    const row = await editTrack(scopeOf(c), id, trackId, expected, patch);
    return sendRecord(c, "focus_track", row);
  },
);

register(
  libraries,
  route({
    pipelined: true,
    method: "delete",
    path: "/{id}/tracks/{trackId}",
    tags,
    operationId: "deleteFocusTrack",
    request: byTrack,
    responses: { 204: { description: "Deleted" } },
    errors: [400, 404],
  }),
  async (c) => {
    const expected = expectedVersion(c);
    const { id, trackId } = c.req.valid("param");
    await removeTrack(scopeOf(c), id, trackId, expected);
    return c.body(null, 204);
  },
);
