/**
 * Scheduled audio maintenance (Cron Trigger, with the other prune jobs):
 *  - multipart uploads abandoned for more than 24 h are aborted in R2 and forgotten;
 *  - R2 objects under `u/<user_id>/<audio_id>[/<attempt>]` that neither an audio
 *    record nor an upload in progress points at are deleted (an attempt that
 *    lost a race, or died before it could delete its own object). Objects younger than `orphanGraceMs` are
 *    left alone: an upload stores its bytes just before it writes the record.
 */
import type { Db } from "../../db/client";
import { liveKeys } from "../data/audio";
import { abortUpload, staleUploads } from "../data/uploads";
import { UPLOAD_TTL_HOURS } from "../protocol/audio";
import { UUID_PATTERN } from "../protocol/common";

const KEY = new RegExp(`^u/${UUID_PATTERN}/(${UUID_PATTERN})(?:/${UUID_PATTERN})?$`);
export const ORPHAN_GRACE_MS = 3_600_000;

export async function cleanupAudio(
  db: Db,
  bucket: R2Bucket,
  /** `userId` scopes a run to one user (tests, support tools). */
  opts: { now?: Date; orphanGraceMs?: number; userId?: string } = {},
): Promise<{ abortedUploads: number; deletedOrphans: number }> {
  const now = (opts.now ?? new Date()).getTime();
  let abortedUploads = 0;
  for (;;) {
    const stale = await staleUploads(db, new Date(now - UPLOAD_TTL_HOURS * 3_600_000), opts.userId);
    for (const upload of stale) await abortUpload(db, bucket, upload);
    abortedUploads += stale.length;
    if (stale.length < 1000) break;
  }

  let deletedOrphans = 0;
  const settled = now - (opts.orphanGraceMs ?? ORPHAN_GRACE_MS);
  let cursor: string | undefined;
  do {
    const page = await bucket.list({
      prefix: opts.userId ? `u/${opts.userId}/` : "u/",
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    const candidates = page.objects.filter((o) => KEY.test(o.key) && o.uploaded.getTime() < settled);
    const live = await liveKeys(
      db,
      candidates.map((o) => KEY.exec(o.key)![1]!),
    );
    const orphans = candidates.map((o) => o.key).filter((k) => !live.has(k));
    if (orphans.length) await bucket.delete(orphans);
    deletedOrphans += orphans.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { abortedUploads, deletedOrphans };
}
