-- A like/unlike storm must not grow the loop owner's change log (nor the
-- liker's): each like write drops that log's earlier entries for the same
-- record in the same call — what the hourly compaction would do later — so a
-- toggle storm leaves one entry per loop. Safe for every cursor: only entries
-- superseded by a newer one for the same record go, as in compaction.
create or replace function continuum_collapse(p_change jsonb) returns jsonb
language plpgsql volatile as $$
begin
  delete from change_log
    where user_id = (p_change->>'owner')::uuid and entity = p_change->>'entity'
      and record_id = (p_change->'row'->>'id')::uuid and seq < (p_change->>'cursor')::bigint;
  return p_change;
end
$$;
--> statement-breakpoint
create or replace function continuum_like(p_user uuid, p_loop uuid, p_like boolean, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  l loops;
  lk loop_likes;
  changes jsonb;
begin
  select * into l from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  perform 1 from users where id in (p_user, l.user_id) order by id for no key update;
  if p_like then
    insert into loop_likes (user_id, loop_id)
      select p_user, id from loops where id = p_loop and (visibility = 'public' or user_id = p_user)
      on conflict do nothing
      returning * into lk;
  else
    delete from loop_likes where user_id = p_user and loop_id = p_loop returning * into lk;
  end if;
  if lk.loop_id is not null then
    changes := jsonb_build_array(continuum_collapse(continuum_log(p_user, 'loop_like',
      case when p_like then 'upsert' else 'delete' end,
      to_jsonb(lk) || jsonb_build_object('id', lk.loop_id, 'version', 1), p_key)));
    update loops set likes_count = likes_count + case when p_like then 1 else -1 end
      where id = p_loop returning * into l;
    if found then
      changes := changes || jsonb_build_array(continuum_collapse(continuum_log(l.user_id, 'loop', 'upsert',
        to_jsonb(l) - 'hot_score', case when l.user_id = p_user then p_key end)));
      return jsonb_build_object('liked', p_like, 'likes_count', l.likes_count, 'changes', changes);
    end if;
  end if;
  select * into l from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  return jsonb_build_object('liked', exists (select 1 from loop_likes where user_id = p_user and loop_id = p_loop),
    'likes_count', l.likes_count, 'changes', coalesce(changes, '[]'::jsonb));
end
$$;
