/**
 * History, trash and restore (issue 24; workers/data/history.ts). Lists are
 * the user's own entries only; a restore goes through the normal write path.
 */
import { listHistory, listTrash, restoreEntry, toEntry } from "../data/history";
import { listRoute } from "../http/crud";
import { createApi, idParam, jsonContent, jsonRequest, register, route } from "../http/openapi";
import {
  historyEntrySchema,
  historyQuery,
  restoreResultSchema,
  trashQuery,
  undoChangeSchema,
  undoResultSchema,
} from "../protocol/history";
import { undoChange } from "../data/undo";
import { expectedVersion, scopeOf } from "../http/record";
import { toWire } from "../protocol/registry";

export const history = createApi();
const tags = ["History"];

listRoute(history, {
  pipelined: true,
  path: "/history",
  tag: "History",
  operationId: "listRecordHistory",
  description:
    "A record's earlier versions (each replaced by an update, or removed by a delete), newest first, kept for " +
    "HISTORY_RETENTION_DAYS (30 by default). Todos, inbox items and references only.",
  pageDescription: "A page of entries, newest first",
  record: historyEntrySchema,
  query: historyQuery,
  list: listHistory,
  toWire: toEntry,
});

listRoute(history, {
  pipelined: true,
  path: "/trash",
  tag: "History",
  operationId: "listTrash",
  description: "Deleted records that can still be restored (each one's latest deletion), newest first.",
  pageDescription: "A page of deleted records, newest first",
  record: historyEntrySchema,
  query: trashQuery,
  list: listTrash,
  toWire: toEntry,
});

register(
  history,
  route({
    pipelined: true,
    method: "post",
    path: "/history/{entry}/restore",
    tags,
    operationId: "restoreHistoryEntry",
    description:
      "Writes the entry's record back as a NEW version (a deleted record is re-created with its id), so every " +
      "device receives it through the change log. Version-checked: the record must still be the version that " +
      'replaced the entry, or the one given in `If-Match: "<version>"`; otherwise 409 `version_conflict` with ' +
      "`details.current` and `details.restoring`. Idempotent: if the record already has the entry's content, it " +
      "is returned with `restored: false` and nothing is written. 409 `restore_blocked`: a record it points to is gone.",
    request: { params: idParam("entry") },
    responses: { 200: jsonContent(restoreResultSchema, "The record after the restore") },
    errors: [400, 404, 409, 413],
  }),
  async (c) => {
    const out = await restoreEntry(scopeOf(c), c.req.valid("param").entry, expectedVersion(c));
    c.header("ETag", `"${(out.row as { version: number }).version}"`);
    return c.json({ entity: out.entity, record: toWire(out.entity, out.row as never), restored: out.restored });
  },
);

register(
  history,
  route({
    pipelined: true,
    method: "post",
    path: "/history/undo",
    tags,
    operationId: "undoChange",
    description:
      "Undoes one change of a todo, inbox item or reference, named as the change feed names it (entity, id and the " +
      "version it produced; a delete's tombstone version): an edit or a delete by restoring what it replaced, a " +
      "creation by deleting the record. One database round trip. Version-checked: the record must still be what " +
      "the change left, else 409 `version_conflict` with `details.current` and `details.restoring`. Idempotent: " +
      "undoing an undone change answers `changed: false` and writes nothing.",
    request: jsonRequest(undoChangeSchema),
    responses: { 200: jsonContent(undoResultSchema, "The record after the undo (null if it was deleted)") },
    errors: [400, 404, 409, 413, 415, 422],
  }),
  async (c) => {
    const scope = scopeOf(c);
    const out = await scope.write((w) => undoChange(w, scope.userId, c.req.valid("json")));
    return c.json({ entity: out.entity, id: out.id, record: out.record, changed: out.changed });
  },
);
