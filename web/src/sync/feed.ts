// The change feed over HTTP (SPEC §4): GET /api/sync/changes by cursor, one
// page at a time. Only requests and answers here; the store decides what each
// answer means for its records.
import { httpError, send, type FetchFn } from "../api/http.ts";
import type { ChangesResponse } from "../api/types.ts";
import type { CachedRecord } from "./db.ts";

export const PULL_PAGE = 500;

const changesPath = (since: string | null) =>
  `/api/sync/changes?${since === null ? "" : `since=${encodeURIComponent(since)}&`}limit=${PULL_PAGE}`;

/** The first page a new device pulls: the feed from its start. */
export const FEED_START = changesPath(null);

export type FeedAnswer =
  | { kind: "changes"; body: ChangesResponse }
  /** 304: nothing after `since`. */
  | { kind: "unchanged" }
  /** 410: `since` fell out of the change log's retention; start over from a snapshot. */
  | { kind: "expired" }
  /** 401: the session is gone. */
  | { kind: "unauthorized" };

/** The page after `since`, asked conditionally (If-None-Match). Throws NetworkError, or HttpError for other failures. */
export async function fetchChanges(fetch: FetchFn, since: string | null): Promise<FeedAnswer> {
  const res = await send(fetch, changesPath(since), {
    headers: { "If-None-Match": since === null ? undefined : `"${since}"` },
  });
  if (res.status === 304) return { kind: "unchanged" };
  if (res.status === 410) return { kind: "expired" };
  if (res.status === 401) return { kind: "unauthorized" };
  if (!res.ok) throw httpError(res);
  return { kind: "changes", body: res.body as ChangesResponse };
}

/** Every live record, read from the start of the feed, and the cursor that snapshot ends at. */
export async function fetchSnapshot(fetch: FetchFn): Promise<{ records: CachedRecord[]; cursor: string | null }> {
  const fresh = new Map<string, CachedRecord>();
  let cursor: string | null = null;
  for (;;) {
    const res = await send(fetch, changesPath(cursor));
    if (!res.ok) throw httpError(res);
    const body = res.body as ChangesResponse;
    for (const c of body.changes) {
      const k = `${c.entity}\u0000${c.id}`;
      if (c.op === "upsert" && c.data) fresh.set(k, { entity: c.entity, id: c.id, version: c.version, data: c.data });
      else fresh.delete(k);
    }
    cursor = body.cursor;
    if (!body.has_more) break;
  }
  return { records: [...fresh.values()], cursor };
}
