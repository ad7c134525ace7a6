-- Deleting an audio file as one call (issue 20, the pattern of 0011/0023), refused while a track or
-- reference plays it. It was an interactive transaction (a lock, the usage count, JS deciding, the
-- delete; BEGIN/COMMIT on a WebSocket connection).
-- SECURITY INVOKER: under the caller's row-level security. Refusals raise CNAPP (continuum_fail).

-- Deletes the caller's audio file unless a track or reference uses it ('audio_in_use:<tracks>,<refs>').
-- The row lock (FOR UPDATE) orders it against a new reference, which takes KEY SHARE on the file.
create or replace function continuum_delete_audio(p_user uuid, p_id uuid, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  a audio_files;
  n_tracks integer;
  n_refs integer;
begin
  select * into a from audio_files where id = p_id and user_id = p_user for update;
  if not found then perform continuum_fail('audio_not_found'); end if;
  select count(*) into n_tracks from focus_tracks where user_id = p_user and audio_id = p_id;
  select count(*) into n_refs from reference_items where user_id = p_user and audio_id = p_id;
  if n_tracks + n_refs > 0 then perform continuum_fail(format('audio_in_use:%s,%s', n_tracks, n_refs)); end if;
  delete from audio_files where id = p_id and user_id = p_user and (p_expected is null or version = p_expected)
    returning * into a;
  if not found then perform continuum_fail('version_conflict'); end if;
  return jsonb_build_object('row', to_jsonb(a),
    'changes', jsonb_build_array(continuum_log(p_user, 'audio', 'delete', to_jsonb(a), p_key)));
end
$$;
