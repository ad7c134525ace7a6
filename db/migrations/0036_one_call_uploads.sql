-- Audio uploads without interactive transactions (issue 20). Recording a file (a direct upload, a
-- completed multipart upload) and starting a multipart upload were BEGIN, the per-user quota lock,
-- the id and quota checks, the insert, COMMIT on a WebSocket connection; each is now one call on the
-- HTTP path, after R2 (R2 is never touched before the session check has passed).
-- SECURITY INVOKER: under the caller's row-level security. Refusals raise CNAPP (continuum_fail):
-- 'quota_exceeded:<used bytes>', 'id_conflict'.

-- Bytes the user's quota holds: stored files + the declared sizes of open multipart uploads (R2 holds
-- their parts already), except p_except, the upload being completed (its size is what is added).
create or replace function continuum_audio_used(p_user uuid, p_except uuid)
returns bigint
language sql stable as $$
  select (select coalesce(sum(size), 0) from audio_files where user_id = p_user)
       + (select coalesce(sum(size), 0) from audio_uploads where user_id = p_user and id is distinct from p_except)
$$;
--> statement-breakpoint

-- Takes the per-user quota lock (the same key as lockQuota() in workers/data/audio.ts, so every check
-- that guards a write of audio bytes is serialized per user with the write; transaction-scoped, and
-- re-entrant) and refuses unless p_adding more bytes fit.
create or replace function continuum_audio_quota(p_user uuid, p_adding bigint, p_quota bigint, p_except uuid)
returns void
language plpgsql volatile as $$
declare
  used bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('audio_quota:' || p_user, 0));
  used := continuum_audio_used(p_user, p_except);
  if used + p_adding > p_quota then perform continuum_fail(format('quota_exceeded:%s', used)); end if;
end
$$;
--> statement-breakpoint

-- Records an audio file whose bytes R2 holds (p_row: the audio_files columns as JSON) inside the quota,
-- under the lock. p_completing: the multipart upload it completes, which is forgotten in the same call
-- (its reservation becomes the file). The same id again with the same object (a repeated completion)
-- is the existing record (created false); any other use of the id is 'id_conflict'.
create or replace function continuum_record_audio(
  p_user uuid, p_row jsonb, p_quota bigint, p_completing uuid, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  a audio_files;
  adding bigint := (p_row->>'size')::bigint;
  changes jsonb := '[]'::jsonb;
  created boolean := true;
begin
  perform continuum_audio_quota(p_user, adding, p_quota, p_completing);
  insert into audio_files (id, user_id, filename, content_type, format, size, checksum, etag, duration_s, r2_key)
    values ((p_row->>'id')::uuid, p_user, p_row->>'filename', p_row->>'content_type', p_row->>'format', adding,
      p_row->>'checksum', p_row->>'etag', (p_row->>'duration_s')::real, p_row->>'r2_key')
    on conflict (user_id, id) do nothing
    returning * into a;
  if a.id is null then
    select * into a from audio_files where user_id = p_user and id = (p_row->>'id')::uuid;
    if a.filename is distinct from p_row->>'filename' or a.size is distinct from adding
      or a.checksum is distinct from p_row->>'checksum' or a.etag is distinct from p_row->>'etag'
      or a.r2_key is distinct from p_row->>'r2_key' then
      perform continuum_fail('id_conflict');
    end if;
    created := false;
  else
    changes := jsonb_build_array(continuum_log(p_user, 'audio', 'upsert', to_jsonb(a), p_key));
  end if;
  if p_completing is not null then
    delete from audio_uploads where id = p_completing and user_id = p_user;
  end if;
  return jsonb_build_object('row', to_jsonb(a), 'created', created, 'changes', changes);
end
$$;
--> statement-breakpoint

-- Starts a multipart upload whose R2 upload exists (p_upload: the audio_uploads columns as JSON):
-- under the quota lock, the audio id must be free (no file, no other upload: 'id_conflict') and the
-- declared size must fit (counting the other open uploads). Returns the row.
create or replace function continuum_start_upload(p_user uuid, p_upload jsonb, p_quota bigint)
returns setof audio_uploads
language plpgsql volatile as $$
declare
  aid uuid := (p_upload->>'audio_id')::uuid;
begin
  perform pg_advisory_xact_lock(hashtextextended('audio_quota:' || p_user, 0));
  if exists (select 1 from audio_files where user_id = p_user and id = aid)
    or exists (select 1 from audio_uploads where user_id = p_user and audio_id = aid) then
    perform continuum_fail('id_conflict');
  end if;
  perform continuum_audio_quota(p_user, (p_upload->>'size')::bigint, p_quota, null);
  return query
    insert into audio_uploads (user_id, audio_id, r2_upload_id, filename, size, r2_key)
    values (p_user, aid, p_upload->>'r2_upload_id', p_upload->>'filename', (p_upload->>'size')::bigint,
      p_upload->>'r2_key')
    returning *;
end
$$;
