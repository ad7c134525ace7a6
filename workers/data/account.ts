/**
 * Deleting an account (SPEC §5 "Your data"). Postgres first, in one
 * transaction: every row of the user goes with the `users` row (every table's
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
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { audioUploads, sessions, users } from "../../db/schema";
import type { Scope } from "../sync/scope";
import { uploadKey } from "./audio";

interface Related {
  /** Owners of other users' remixes of the user's loops. */
  remixOwners: string[];
  /** Owners of loops the user liked. */
  likedOwners: string[];
  /** Owners of loops the user remixed. */
  parentOwners: string[];
  /** Other users who like the user's loops. */
  likers: string[];
}

async function relatedUsers(db: Db, userId: string): Promise<Related> {
  const { rows } = await db.execute<{ [K in keyof Related]: string[] | null }>(sql`
    select
      (select array_agg(distinct r.user_id) from loops r join loops p on p.id = r.parent_loop_id
        where p.user_id = ${userId} and r.user_id <> ${userId}) as "remixOwners",
      (select array_agg(distinct l.user_id) from loop_likes k join loops l on l.id = k.loop_id
        where k.user_id = ${userId} and l.user_id <> ${userId}) as "likedOwners",
      (select array_agg(distinct p.user_id) from loops r join loops p on p.id = r.parent_loop_id
        where r.user_id = ${userId} and p.user_id <> ${userId}) as "parentOwners",
      (select array_agg(distinct k.user_id) from loop_likes k join loops l on l.id = k.loop_id
        where l.user_id = ${userId} and k.user_id <> ${userId}) as "likers"`);
  const r = rows[0]!;
  return {
    remixOwners: r.remixOwners ?? [],
    likedOwners: r.likedOwners ?? [],
    parentOwners: r.parentOwners ?? [],
    likers: r.likers ?? [],
  };
}

/** The user's sessions (devices and tokens) whose sockets must close. */
export const sessionIds = (db: Db, userId: string) =>
  db
    .select({ id: sessions.id })
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .then((rows) => rows.map((r) => r.id));

/** Removes every row of the user; returns the multipart uploads that were open (to abort in R2). */
export async function deleteAccountRows(scope: Scope): Promise<{ uploads: { key: string; uploadId: string }[] }> {
  const userId = scope.userId;
  // Read outside the transaction: someone liking a loop meanwhile is caught by the cascade (just not logged).
  const related = await relatedUsers(scope.db, userId);
  const others = [
    ...new Set([...related.remixOwners, ...related.likedOwners, ...related.parentOwners, ...related.likers]),
  ];
  return scope.write(
    async (w) => {
      await w.lockLogs(others);
      for (const owner of related.remixOwners)
        await w.log(
          "loop",
          "upsert",
          sql`update loops set parent_loop_id = null, parent_owner_deleted = true
              where user_id = ${owner} and parent_loop_id in (select id from loops where user_id = ${userId})
              returning *`,
          { owner },
        );
      for (const owner of related.likedOwners)
        await w.log(
          "loop",
          "upsert",
          sql`update loops set likes_count = greatest(likes_count - 1, 0)
              where user_id = ${owner} and id in (select loop_id from loop_likes where user_id = ${userId})
              returning *`,
          { owner },
        );
      for (const owner of related.parentOwners)
        await w.log(
          "loop",
          "upsert",
          sql`update loops p set remixes_count = greatest(p.remixes_count - c.n, 0)
              from (select parent_loop_id, count(*)::int as n from loops
                    where user_id = ${userId} and parent_loop_id is not null group by parent_loop_id) c
              where p.id = c.parent_loop_id and p.user_id = ${owner}
              returning p.*`,
          { owner },
        );
      for (const liker of related.likers)
        await w.log(
          "loop_like",
          "delete",
          sql`delete from loop_likes where user_id = ${liker}
              and loop_id in (select id from loops where user_id = ${userId})
              returning *, loop_id as id, 1 as version`,
          { owner: liker },
        );
      const uploads = await w.db.select().from(audioUploads).where(eq(audioUploads.userId, userId));
      // Everything else of the user cascades from here (db/schema.ts: every user_id references users on delete cascade).
      await w.db.delete(users).where(eq(users.id, userId));
      return { uploads: uploads.map((u) => ({ key: uploadKey(u), uploadId: u.r2UploadId })) };
    },
    { transaction: true },
  );
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
