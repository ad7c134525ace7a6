-- Deleting a library left the focus presets that play it pointing at nothing
-- (0029: a preset's library_id is checked and key-share locked when written,
-- but nothing followed the library's delete). The delete now also clears
-- those presets' library_id — a new version each, logged and relayed like any
-- edit, so every device sees the preset fall back to its soundscape (or
-- silence). A preset written concurrently holds its key-share lock until it
-- commits; the library's FOR UPDATE waits for it, and this UPDATE's fresh
-- snapshot then sees and clears it.
create or replace function continuum_remove_library(p_user uuid, p_id uuid, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  lib focus_libraries;
  t focus_tracks;
  p focus_presets;
  changes jsonb := '[]'::jsonb;
begin
  select * into lib from focus_libraries where id = p_id and user_id = p_user for update;
  if not found then perform continuum_fail('library_not_found'); end if;
  if p_expected is not null and lib.version <> p_expected then perform continuum_fail('version_conflict'); end if;
  for t in delete from focus_tracks where user_id = p_user and library_id = p_id returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_track', 'delete', to_jsonb(t), p_key));
  end loop;
  for p in update focus_presets set library_id = null, version = version + 1, updated_at = now()
      where user_id = p_user and library_id = p_id returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_preset', 'upsert', to_jsonb(p), p_key));
  end loop;
  delete from focus_libraries where id = p_id and user_id = p_user returning * into lib;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'focus_library', 'delete', to_jsonb(lib), p_key));
  return jsonb_build_object('changes', changes);
end
$$;
