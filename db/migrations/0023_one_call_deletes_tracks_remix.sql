-- Writes that were interactive transactions (issue 20) as ONE call each over
-- the HTTP path, the pattern of 0011_one_call_writes.sql: a library's delete,
-- a track's add/edit/delete (positions renumbered under the library's row
-- lock), a conversation's delete, a loop's delete and a remix. Each was
-- BEGIN, a read or a lock, JS deciding, several statements and COMMIT on a
-- WebSocket connection of its own (6–8 round trips and a connection at
-- 100 ms); now the session check leads the one statement: one round trip.
--
-- SECURITY INVOKER (the default): they run under the caller's row-level
-- security. Every change goes through continuum_log() exactly as
-- workers/sync/write.ts logs it (a delete's tombstone carries version + 1;
-- generated columns such as loops.hot_score are left out) and comes back in
-- `changes`, which the Worker relays after commit (workers/sync/call.ts).
-- Refusals raise CNAPP (continuum_fail) with the API error code; the Worker
-- maps them to the same 404/403/409s as before, reading the current record
-- for a 409 only on that (rare) path.

-- Deletes the caller's library and its tracks (a tombstone for each track first).
create or replace function continuum_remove_library(p_user uuid, p_id uuid, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  lib focus_libraries;
  t focus_tracks;
  changes jsonb := '[]'::jsonb;
begin
  select * into lib from focus_libraries where id = p_id and user_id = p_user for update;
  if not found then perform continuum_fail('library_not_found'); end if;
  if p_expected is not null and lib.version <> p_expected then perform continuum_fail('version_conflict'); end if;
  for t in delete from focus_tracks where user_id = p_user and library_id = p_id returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_track', 'delete', to_jsonb(t), p_key));
  end loop;
  delete from focus_libraries where id = p_id and user_id = p_user returning * into lib;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_library', 'delete', to_jsonb(lib), p_key));
  return jsonb_build_object('changes', changes);
end
$$;
--> statement-breakpoint

-- Moves the library's tracks at positions p_from..p_to by p_delta (except p_except), logging each.
create or replace function continuum_shift_tracks(
  p_user uuid, p_library uuid, p_from integer, p_to integer, p_delta integer, p_except uuid, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  t focus_tracks;
  changes jsonb := '[]'::jsonb;
begin
  for t in update focus_tracks set position = position + p_delta, version = version + 1, updated_at = now()
      where user_id = p_user and library_id = p_library and position between p_from and p_to
        and (p_except is null or id <> p_except)
      returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_track', 'upsert', to_jsonb(t), p_key));
  end loop;
  return changes;
end
$$;
--> statement-breakpoint

-- Appends a track (or inserts it at p_position, shifting the rest); the duration defaults to the
-- audio file's. A retried create with the same id keeps its place: {created: false, same} says whether
-- the stored track is what this create would have made (the Worker answers 409 otherwise).
create or replace function continuum_add_track(
  p_user uuid, p_library uuid, p_id uuid, p_title text, p_audio uuid, p_url text, p_duration real,
  p_position integer, p_max integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  a audio_files;
  existing focus_tracks;
  t focus_tracks;
  total integer;
  pos integer;
  dur real := p_duration;
  changes jsonb := '[]'::jsonb;
begin
  perform 1 from focus_libraries where id = p_library and user_id = p_user for update;
  if not found then perform continuum_fail('library_not_found'); end if;
  if p_audio is not null then
    select * into a from audio_files where id = p_audio and user_id = p_user for key share;
    if not found then perform continuum_fail('audio_not_found'); end if;
    dur := coalesce(dur, a.duration_s);
  end if;
  if p_id is not null then
    select * into existing from focus_tracks where user_id = p_user and id = p_id;
  end if;
  select count(*) into total from focus_tracks where user_id = p_user and library_id = p_library;
  if existing.id is null and total >= p_max then perform continuum_fail('library_full'); end if;
  pos := coalesce(existing.position, least(coalesce(p_position, total), total));
  if existing.id is null and pos < total then
    changes := continuum_shift_tracks(p_user, p_library, pos, total, 1, null, p_key);
  end if;
  insert into focus_tracks (id, user_id, library_id, title, audio_id, url, duration_s, position)
    values (coalesce(p_id, gen_random_uuid()), p_user, p_library, p_title, p_audio, p_url, dur, pos)
    on conflict (user_id, id) do nothing
    returning * into t;
  if t.id is not null then
    changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_track', 'upsert', to_jsonb(t), p_key));
    return jsonb_build_object('row', to_jsonb(t), 'created', true, 'same', true, 'changes', changes);
  end if;
  select * into existing from focus_tracks where user_id = p_user and id = p_id;
  return jsonb_build_object('row', to_jsonb(existing), 'created', false, 'changes', changes,
    'same', existing.library_id = p_library and existing.title = p_title
      and existing.audio_id is not distinct from p_audio and existing.url is not distinct from p_url
      and existing.duration_s is not distinct from dur and existing.position = pos);
end
$$;
--> statement-breakpoint

-- Edits a track of the library; a new position (clamped to the end) moves it and renumbers the ones in
-- between. Setting the audio clears the url and vice versa (p_set_* say which fields the patch has).
create or replace function continuum_edit_track(
  p_user uuid, p_library uuid, p_track uuid, p_expected integer,
  p_set_title boolean, p_title text, p_set_audio boolean, p_audio uuid, p_set_url boolean, p_url text,
  p_set_duration boolean, p_duration real, p_position integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  cur focus_tracks;
  t focus_tracks;
  dest integer;
  total integer;
  changes jsonb;
begin
  perform 1 from focus_libraries where id = p_library and user_id = p_user for update;
  if not found then perform continuum_fail('library_not_found'); end if;
  select * into cur from focus_tracks where user_id = p_user and id = p_track;
  if not found or cur.library_id <> p_library then perform continuum_fail('track_not_found'); end if;
  if p_set_audio and p_audio is not null then
    perform 1 from audio_files where id = p_audio and user_id = p_user for key share;
    if not found then perform continuum_fail('audio_not_found'); end if;
  end if;
  dest := cur.position;
  if p_position is not null then
    select count(*) into total from focus_tracks where user_id = p_user and library_id = p_library;
    dest := least(p_position, total - 1);
  end if;
  update focus_tracks set
      title = case when p_set_title then p_title else title end,
      audio_id = case when p_set_audio then p_audio when p_set_url then null else audio_id end,
      url = case when p_set_url then p_url when p_set_audio then null else url end,
      duration_s = case when p_set_duration then p_duration else duration_s end,
      position = dest, version = version + 1, updated_at = now()
    where user_id = p_user and id = p_track and (p_expected is null or version = p_expected)
    returning * into t;
  if not found then perform continuum_fail('version_conflict'); end if;
  changes := jsonb_build_array(continuum_log(p_user, 'focus_track', 'upsert', to_jsonb(t), p_key));
  if dest < cur.position then
    changes := changes || continuum_shift_tracks(p_user, p_library, dest, cur.position - 1, 1, p_track, p_key);
  elsif dest > cur.position then
    changes := changes || continuum_shift_tracks(p_user, p_library, cur.position + 1, dest, -1, p_track, p_key);
  end if;
  return jsonb_build_object('row', to_jsonb(t), 'changes', changes);
end
$$;
--> statement-breakpoint

-- Deletes a track of the library and closes the gap.
create or replace function continuum_remove_track(
  p_user uuid, p_library uuid, p_track uuid, p_expected integer, p_max integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  cur focus_tracks;
  t focus_tracks;
  changes jsonb;
begin
  perform 1 from focus_libraries where id = p_library and user_id = p_user for update;
  if not found then perform continuum_fail('library_not_found'); end if;
  select * into cur from focus_tracks where user_id = p_user and id = p_track;
  if not found or cur.library_id <> p_library then perform continuum_fail('track_not_found'); end if;
  delete from focus_tracks where user_id = p_user and id = p_track and (p_expected is null or version = p_expected)
    returning * into t;
  if not found then perform continuum_fail('version_conflict'); end if;
  changes := jsonb_build_array(continuum_log(p_user, 'focus_track', 'delete', to_jsonb(t), p_key));
  changes := changes || continuum_shift_tracks(p_user, p_library, t.position + 1, p_max, -1, null, p_key);
  return jsonb_build_object('changes', changes);
end
$$;
--> statement-breakpoint

-- Deletes a conversation with its messages and tool calls, each with its tombstone.
create or replace function continuum_delete_conversation(p_user uuid, p_id uuid, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  conv conversations;
  m messages;
  tc tool_calls;
  changes jsonb := '[]'::jsonb;
begin
  select * into conv from conversations where id = p_id and user_id = p_user for update;
  if not found then perform continuum_fail('conversation_not_found'); end if;
  if p_expected is not null and conv.version <> p_expected then perform continuum_fail('version_conflict'); end if;
  for m in delete from messages where user_id = p_user and conversation_id = p_id returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'message', 'delete', to_jsonb(m), p_key));
  end loop;
  for tc in delete from tool_calls where user_id = p_user and conversation_id = p_id returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'delete', to_jsonb(tc), p_key));
  end loop;
  delete from conversations where id = p_id and user_id = p_user returning * into conv;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'conversation', 'delete', to_jsonb(conv), p_key));
  return jsonb_build_object('changes', changes);
end
$$;
--> statement-breakpoint

-- Deletes the caller's loop (workers/data/studio.ts removeLoop): refused while an own song uses it;
-- remixes stay, parentless; its likes go (a tombstone in each liker's log); its parent's
-- remixes_count drops. The users whose logs it touches are locked in id order first and declared
-- as this transaction's peers (row-level security), as w.lockLogs() does.
create or replace function continuum_delete_loop(p_user uuid, p_id uuid, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  l loops;
  r loops;
  lk loop_likes;
  rel record;
  peers uuid[];
  using_ids uuid[];
  changes jsonb := '[]'::jsonb;
begin
  select * into l from loops where id = p_id and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  if l.user_id <> p_user then perform continuum_fail('forbidden'); end if;
  select * into rel from continuum_loop_relations(p_id);
  peers := array(select distinct x from unnest(array[rel.parent_owner] || coalesce(rel.remix_owners, '{}')
    || coalesce(rel.likers, '{}')) x where x is not null and x <> p_user);
  perform 1 from users where id = any (array[p_user] || peers) order by id for no key update;
  perform set_config('continuum.peers', format('{%s}', array_to_string(peers, ',')), true);
  using_ids := array(select s.id from songs s where s.user_id = p_user
    and s.timeline @> jsonb_build_array(jsonb_build_object('loop_id', p_id)) limit 20);
  if cardinality(using_ids) > 0 then
    perform continuum_fail('loop_in_use:' || array_to_string(using_ids, ','));
  end if;
  for r in update loops set parent_loop_id = null
      where parent_loop_id = p_id and user_id = any (coalesce(rel.remix_owners, '{}')) returning * loop
    changes := changes || jsonb_build_array(continuum_log(r.user_id, 'loop', 'upsert', to_jsonb(r) - 'hot_score',
      case when r.user_id = p_user then p_key end));
  end loop;
  for lk in delete from loop_likes where loop_id = p_id and user_id = any (coalesce(rel.likers, '{}')) returning * loop
    changes := changes || jsonb_build_array(continuum_log(lk.user_id, 'loop_like', 'delete',
      to_jsonb(lk) || jsonb_build_object('id', lk.loop_id, 'version', 1), case when lk.user_id = p_user then p_key end));
  end loop;
  delete from loops where id = p_id and user_id = p_user and (p_expected is null or version = p_expected)
    returning * into l;
  if not found then perform continuum_fail('version_conflict'); end if;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'loop', 'delete', to_jsonb(l) - 'hot_score', p_key));
  if l.parent_loop_id is not null and rel.parent_owner is not null then
    update loops set remixes_count = remixes_count - 1 where id = l.parent_loop_id and remixes_count > 0
      returning * into r;
    if found then
      changes := changes || jsonb_build_array(continuum_log(r.user_id, 'loop', 'upsert', to_jsonb(r) - 'hot_score',
        case when r.user_id = p_user then p_key end));
    end if;
  end if;
  return jsonb_build_object('row', to_jsonb(l), 'changes', changes);
end
$$;
--> statement-breakpoint

-- A new private loop of the caller copying a parent it may remix (own, or public and remixable); the
-- parent's remixes_count rises with it (the owner's log collapses like a like's). Another user's
-- parent needs p_social_checked: the Worker charges that user's social rate limit first and calls
-- again (CNAPP 'social_limit_needed:<owner>': the limit is per actor and owner), so an own remix stays one round trip.
create or replace function continuum_remix(
  p_user uuid, p_parent uuid, p_id uuid, p_name text, p_social_checked boolean, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  par loops;
  l loops;
  uname text;
  changes jsonb;
begin
  select * into par from loops where id = p_parent and (visibility = 'public' or user_id = p_user);
  if not found or (par.user_id <> p_user and not par.remixable) then perform continuum_fail('loop_not_found'); end if;
  if par.user_id <> p_user and not p_social_checked then perform continuum_fail('social_limit_needed:' || par.user_id); end if;
  perform 1 from users where id in (p_user, par.user_id) order by id for no key update;
  if par.user_id <> p_user then
    perform set_config('continuum.peers', format('{%s}', par.user_id), true);
  end if;
  select username into uname from users where id = p_user;
  insert into loops (id, user_id, owner_username, name, bars, bpm, color, chord_progression, icon_sequence,
      visibility, remixable, parent_loop_id)
    values (coalesce(p_id, gen_random_uuid()), p_user, uname, coalesce(p_name, par.name), par.bars, par.bpm,
      par.color, par.chord_progression, par.icon_sequence, 'private', false, par.id)
    on conflict (user_id, id) do nothing
    returning * into l;
  if l.id is null then
    select * into l from loops where user_id = p_user and id = p_id;
    return jsonb_build_object('row', to_jsonb(l) - 'hot_score', 'created', false, 'changes', '[]'::jsonb,
      'same', l.name = coalesce(p_name, par.name) and l.bars = par.bars and l.bpm = par.bpm
        and l.color = par.color and l.chord_progression = par.chord_progression
        and l.icon_sequence = par.icon_sequence and l.visibility = 'private' and not l.remixable
        and l.parent_loop_id is not distinct from par.id and l.owner_username = uname);
  end if;
  changes := jsonb_build_array(continuum_log(p_user, 'loop', 'upsert', to_jsonb(l) - 'hot_score', p_key));
  update loops set remixes_count = remixes_count + 1 where id = par.id returning * into par;
  changes := changes || jsonb_build_array(continuum_collapse(continuum_log(par.user_id, 'loop', 'upsert',
    to_jsonb(par) - 'hot_score', case when par.user_id = p_user then p_key end)));
  return jsonb_build_object('row', to_jsonb(l) - 'hot_score', 'created', true, 'same', true, 'changes', changes);
end
$$;
