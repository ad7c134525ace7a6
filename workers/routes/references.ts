/** SPEC §5 References: notes, links and recordings; pinned first, archived hidden unless asked, `q` full-text. */
import { lockAudio } from "../data/audio";
import { listReferences } from "../data/references";
import { crudRoutes, declaredCrud } from "../http/crud";
import { createApi } from "../http/openapi";
import { listReferencesQuery, referenceRecord } from "../protocol/references";

export const references = createApi();

crudRoutes(references, {
  ...declaredCrud(referenceRecord, listReferencesQuery),
  pipelined: true,

  list: listReferences,
  // A referenced recording must be the user's; the row lock keeps it from being deleted meanwhile.
  check: {
    needed: (b) => Boolean(b.audio_id),
    run: (w, userId, b) => lockAudio(w.db, userId, b.audio_id!, "key share").then(() => undefined),
  },
});
