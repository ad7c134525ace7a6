-- The studio's rate limits move from Workers Rate Limiting into the write itself (issue 20): a like,
-- a remix or a play of another user's loop charges the caller's per-(actor, owner) and per-actor
-- budgets in the same call, and a play its per-(user, loop) budget. The session check leads that
-- call in one non-interactive transaction, so an unconfirmed request charges nothing (its batch
-- never commits), and the Worker needs no round trip to learn the loop's owner first: a like and a
-- remix of anyone's loop are one call. Refusals raise CNAPP 'rate_limited:<pair|actor|play>'.
-- The limits are arguments (workers/protocol/rules.ts STUDIO_RATES: written once, in TypeScript).
SELECT continuum_protect('rate_windows');--> statement-breakpoint

-- One hit on the caller's bucket in the current wall-clock minute; over p_limit → refused (the
-- refusal rolls the hit back with everything else, so a refused request leaves the count at the limit).
-- The row lock serializes a user's hits on one bucket, so the count is exact under concurrency.
create or replace function continuum_rate(p_user uuid, p_bucket text, p_limit integer, p_kind text)
returns void
language plpgsql volatile as $$
declare
  n integer;
begin
  insert into rate_windows as r (user_id, bucket, window_start, hits)
    values (p_user, p_bucket, date_trunc('minute', now()), 1)
    on conflict (user_id, bucket) do update
      set hits = case when r.window_start = excluded.window_start then r.hits + 1 else 1 end,
          window_start = excluded.window_start
    returning hits into n;
  if n > p_limit then perform continuum_fail('rate_limited:' || p_kind); end if;
end
$$;
--> statement-breakpoint

-- A write reaching another user's log: per (actor, owner) first — a refused storm on one owner does
-- not also spend the actor's budget for everyone else — then per actor across all owners. Acting on
-- one's own loop reaches no other log and is not limited.
create or replace function continuum_charge_social(p_user uuid, p_owner uuid, p_pair integer, p_actor integer)
returns void
language plpgsql volatile as $$
begin
  if p_owner = p_user then return; end if;
  perform continuum_rate(p_user, 'social:' || p_owner, p_pair, 'pair');
  perform continuum_rate(p_user, 'social', p_actor, 'actor');
end
$$;
--> statement-breakpoint

-- continuum_like (0018), the same but for charging the social limits once the loop is known.
drop function if exists continuum_like(uuid, uuid, boolean, text);--> statement-breakpoint
create or replace function continuum_like(
  p_user uuid, p_loop uuid, p_like boolean, p_key text, p_pair integer, p_actor integer)
returns jsonb
language plpgsql volatile as $$
declare
  l loops;
  lk loop_likes;
  changes jsonb;
begin
  select * into l from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  perform continuum_charge_social(p_user, l.user_id, p_pair, p_actor);
  perform 1 from users where id in (p_user, l.user_id) order by id for no key update;
  -- Row-level security (0018): the owner's loop counter and change log are this call's to write.
  perform set_config('continuum.peers', format('{%s}', l.user_id), true);
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
--> statement-breakpoint

-- continuum_remix (0023), charging the social limits itself instead of refusing with
-- 'social_limit_needed' for the Worker to charge them and call again: always one call.
drop function if exists continuum_remix(uuid, uuid, uuid, text, boolean, text);--> statement-breakpoint
create or replace function continuum_remix(
  p_user uuid, p_parent uuid, p_id uuid, p_name text, p_key text, p_pair integer, p_actor integer)
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
  perform continuum_charge_social(p_user, par.user_id, p_pair, p_actor);
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
--> statement-breakpoint

-- A play about to be queued: the loop must be readable (else 'loop_not_found'); it charges the
-- per-(user, loop) play budget, then the social budgets for another user's loop. Returns the loop's
-- id and owner (the queued message's); the count itself moves later, in the queue consumer.
create or replace function continuum_play(p_user uuid, p_loop uuid, p_plays integer, p_pair integer, p_actor integer)
returns jsonb
language plpgsql volatile as $$
declare
  owner uuid;
begin
  select user_id into owner from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  perform continuum_rate(p_user, 'play:' || p_loop, p_plays, 'play');
  perform continuum_charge_social(p_user, owner, p_pair, p_actor);
  return jsonb_build_object('loop_id', p_loop, 'owner', owner);
end
$$;
