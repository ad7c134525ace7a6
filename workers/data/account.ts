/**
 * Deleting an account (SPEC §5 "Your data"). Postgres first, in one
 * database call: every row of the user goes with the `users` row (every table's
 * `user_id` cascades; `loop_plays.user_id` is set null — a play stays counted,
 * anonymous). What other users see of the deleted user's actions is corrected
 * in the same transaction and logged to *their* change logs, so their devices
 * hear it:
 *  - remixes of the user's loops stay, parentless, `parent_owner_deleted` set
 *    (shown as "Remix of a deleted user");
 *  - the user's likes and remixes of others' loops leave those loops' counters;
 *  - others' likes of the user's loops vanish with the loops (their like
 *    records get tombstones).
 * Then R2: every object under `u/<user>/` and every open multipart upload. A
 * failure there leaves objects no record points at, which the hourly audio
 * cleanup (jobs/audio-cleanup.ts) deletes.
 */
import { sql } from "drizzle-orm";
import type { Scope } from "../sync/scope";
import { audioKey } from "./audio";

/**
 * Removes every row of the user in one database call (continuum_delete_account(),
 * db/migrations/0033_one_call_delete_account.sql; the scope must run as the jobs role: it corrects
 * other users' rows). Returns the user's sessions (whose sockets must close) and the multipart
 * uploads that were open (to abort in R2).
 */
export async function deleteAccountRows(
  scope: Scope,
): Promise<{ sessions: string[]; uploads: { key: string; uploadId: string }[] }> {
  type Upload = { user_id: string; audio_id: string; r2_key: string | null; r2_upload_id: string };
  const r = await scope.call<{ sessions: string[]; uploads: Upload[] }>(
    sql`select continuum_delete_account(${scope.userId}) as r`,
  );
  return {
    sessions: r.sessions,
    uploads: r.uploads.map((u) => ({
      key: u.r2_key ?? audioKey(u.user_id, u.audio_id), // as uploadKey() (./audio.ts) on a row
      uploadId: u.r2_upload_id,
    })),
  };
}

/** Every R2 object of the user (`u/<user>/…`) and their open multipart uploads; returns how many objects went. */
export async function deleteAccountObjects(
  bucket: R2Bucket,
  userId: string,
  uploads: { key: string; uploadId: string }[],
): Promise<number> {
  for (const u of uploads) {
    try {
      await bucket.resumeMultipartUpload(u.key, u.uploadId).abort();
    } catch {
      // already completed, aborted or expired
    }
  }
  let deleted = 0;
  for (;;) {
    // Always the first page: what was listed is deleted before listing again.
    const page = await bucket.list({ prefix: `u/${userId}/`, limit: 1000 });
    if (page.objects.length === 0) return deleted;
    await bucket.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
  }
}
