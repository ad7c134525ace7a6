/** SPEC §5 References: notes, links and recordings; pinned first, archived hidden unless asked, `q` full-text. */
import { lockAudio } from "../data/audio";
import { listReferences } from "../data/references";
import { crudRoutes } from "../http/crud";
import { createApi } from "../http/openapi";
import { normalizeTags } from "../protocol/inbox";
import {
  createReferenceSchema,
  listReferencesQuery,
  referenceSchema,
  updateReferenceSchema,
} from "../protocol/references";

export const references = createApi();

crudRoutes(references, {
  pipelined: true,
  entity: "reference",
  tag: "References",
  name: "Reference",
  schemas: {
    record: referenceSchema,
    create: createReferenceSchema,
    update: updateReferenceSchema,
    list: listReferencesQuery,
  },
  list: listReferences,
  toInsert: (b) => ({
    title: b.title,
    content: b.content ?? "",
    url: b.url ?? null,
    category: b.category ?? null,
    tags: normalizeTags(b.tags ?? []),
    pinned: b.pinned ?? false,
    archived: b.archived ?? false,
    audioId: b.audio_id ?? null,
  }),
  toUpdate: ({ tags, audio_id, ...rest }) => ({
    ...rest,
    ...(tags ? { tags: normalizeTags(tags) } : {}),
    ...(audio_id !== undefined ? { audioId: audio_id } : {}),
  }),
  // A referenced recording must be the user's; the row lock keeps it from being deleted meanwhile.
  check: {
    needed: (b) => Boolean(b.audio_id),
    run: (w, userId, b) => lockAudio(w.db, userId, b.audio_id!, "key share").then(() => undefined),
  },
});
