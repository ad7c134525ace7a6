-- Deleting an account in ONE call (DELETE /api/auth/account, workers/data/account.ts), after the
-- Worker has checked the password (PBKDF2): it was a read of the users it touches, then an
-- interactive transaction (BEGIN, locks, one statement per touched user, COMMIT) on a WebSocket
-- connection of its own. What other users see of the user's actions is corrected here and logged
-- to THEIR change logs (continuum_log(), the same entries as workers/sync/write.ts `logged()`):
--  - remixes of the user's loops stay, parentless, `parent_owner_deleted` set;
--  - the user's likes and remixes of others' loops leave those loops' counters;
--  - others' likes of the user's loops go with the loops (a tombstone in each liker's log).
-- Then the users row, from which every other row of the user cascades. The touched users' rows are
-- locked in id order first, as w.lockLogs() does, so crossing writes wait instead of deadlocking.
-- Runs as continuum_jobs (it corrects other users' rows; db/client.ts `asJobs()`). Returns the
-- changes (relayed to those users' sockets), the user's sessions (their sockets close) and open
-- multipart uploads (aborted in R2).
create or replace function continuum_delete_account(p_user uuid)
returns jsonb
language plpgsql volatile as $$
declare
  others uuid[];
  l loops;
  lk loop_likes;
  changes jsonb := '[]'::jsonb;
  ended jsonb;
  uploads jsonb;
begin
  others := array(select distinct x from (
      select r.user_id from loops r join loops p on p.id = r.parent_loop_id where p.user_id = p_user
      union select l2.user_id from loop_likes k join loops l2 on l2.id = k.loop_id where k.user_id = p_user
      union select p.user_id from loops r join loops p on p.id = r.parent_loop_id where r.user_id = p_user
      union select k.user_id from loop_likes k join loops l2 on l2.id = k.loop_id where l2.user_id = p_user
    ) t(x) where x <> p_user);
  perform 1 from users where id = any (array[p_user] || others) order by id for no key update;

  for l in update loops set parent_loop_id = null, parent_owner_deleted = true
      where user_id <> p_user and parent_loop_id in (select id from loops where user_id = p_user) returning * loop
    changes := changes || jsonb_build_array(continuum_log(l.user_id, 'loop', 'upsert', to_jsonb(l) - 'hot_score', null));
  end loop;
  for l in update loops set likes_count = greatest(likes_count - 1, 0)
      where user_id <> p_user and id in (select loop_id from loop_likes where user_id = p_user) returning * loop
    changes := changes || jsonb_build_array(continuum_log(l.user_id, 'loop', 'upsert', to_jsonb(l) - 'hot_score', null));
  end loop;
  for l in update loops p set remixes_count = greatest(p.remixes_count - c.n, 0)
      from (select parent_loop_id, count(*)::int as n from loops
            where user_id = p_user and parent_loop_id is not null group by parent_loop_id) c
      where p.id = c.parent_loop_id and p.user_id <> p_user returning p.* loop
    changes := changes || jsonb_build_array(continuum_log(l.user_id, 'loop', 'upsert', to_jsonb(l) - 'hot_score', null));
  end loop;
  for lk in delete from loop_likes
      where user_id <> p_user and loop_id in (select id from loops where user_id = p_user) returning * loop
    changes := changes || jsonb_build_array(continuum_log(lk.user_id, 'loop_like', 'delete',
      to_jsonb(lk) || jsonb_build_object('id', lk.loop_id, 'version', 1), null));
  end loop;

  ended := coalesce((select jsonb_agg(s.id) from sessions s where s.user_id = p_user), '[]'::jsonb);
  uploads := coalesce((select jsonb_agg(jsonb_build_object('user_id', u.user_id, 'audio_id', u.audio_id,
      'r2_key', u.r2_key, 'r2_upload_id', u.r2_upload_id)) from audio_uploads u where u.user_id = p_user), '[]'::jsonb);
  delete from users where id = p_user;
  return jsonb_build_object('changes', changes, 'sessions', ended, 'uploads', uploads);
end
$$;
