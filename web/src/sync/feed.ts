// The change feed over HTTP (SPEC §4): GET /api/sync/changes by cursor, one
// page at a time. Only requests and answers here; the store decides what each
// answer means for its records.
import { httpError, send, type FetchFn } from "../api/http.ts";
import type { ChangesResponse } from "../api/types.ts";
import { SNAPSHOT_READ } from "@protocol/rules.ts";

export const PULL_PAGE = 500;

const changesPath = (since: string | null, walk: string | null) =>
  `/api/sync/changes?${since === null ? "" : `since=${encodeURIComponent(since)}&`}` +
  `${walk === null ? "" : `walk=${encodeURIComponent(walk)}&`}limit=${PULL_PAGE}`;

/** Snapshot pages after the first (GET /api/sync/snapshot, newest first; ./bootstrap.ts). */
export const SNAPSHOT_PAGE = SNAPSHOT_READ.page;
export const snapshotPath = (before: string | null, limit: number, after: string | null = null) =>
  `/api/sync/snapshot?${before === null ? "" : `before=${encodeURIComponent(before)}&`}${
    after === null ? "" : `after=${encodeURIComponent(after)}&`
  }limit=${limit}`;

/**
 * The first page a new device pulls: the newest records, a small page so the
 * first screen shows them soon (deps.ts may ask for it before sign-in is confirmed).
 */
export const FEED_START = snapshotPath(null, 300);

/**
 * The second page, which also names the rest as ranges of a page each, to read concurrently
 * (finding the cuts reads the user's whole log index: kept off the first screen's page).
 */
export const snapshotSplitPath = (before: string) => `${snapshotPath(before, SNAPSHOT_PAGE)}&split=${SNAPSHOT_PAGE}`;

export type FeedAnswer =
  | { kind: "changes"; body: ChangesResponse }
  /** 304: nothing after `since`. */
  | { kind: "unchanged" }
  /** 410: `since` fell out of the change log's retention; start over from a snapshot. */
  | { kind: "expired" }
  /** 401: the session is gone. */
  | { kind: "unauthorized" };

/**
 * The page after `since`, asked conditionally (If-None-Match). `walk` is the
 * token of the page before when it had more: the walk then completes even if
 * the server's floor rises meanwhile. Throws NetworkError, or HttpError for other failures.
 */
export async function fetchChanges(
  fetch: FetchFn,
  since: string | null,
  walk: string | null = null,
): Promise<FeedAnswer> {
  const res = await send(fetch, changesPath(since, walk), {
    headers: { "If-None-Match": since === null ? undefined : `"${since}"` },
  });
  if (res.status === 304) return { kind: "unchanged" };
  if (res.status === 410) return { kind: "expired" };
  if (res.status === 401) return { kind: "unauthorized" };
  if (!res.ok) throw httpError(res);
  return { kind: "changes", body: res.body as ChangesResponse };
}
