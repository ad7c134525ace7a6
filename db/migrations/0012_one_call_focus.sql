-- Ending a focus session as one call (see 0011_one_call_writes.sql for the
-- pattern): the session's update, the coins it earned (wallet + ledger row)
-- and the achievement stats after it, in ONE statement led by the session
-- check. The Worker decides from the stats which achievements are due (the
-- rules, with the user's time zone, live in workers/protocol/market-rules.ts);
-- only when one is — a handful of times per account — does it take a second
-- call, continuum_grant(), whose unique keys keep each reward to one.

-- Achievement stats (workers/data/market-insights.ts readStats()): one
-- indexed pass over the user's completed sessions. A session counts towards
-- "first session" and streaks only with at least one focused minute.
create or replace function continuum_market_stats(p_user uuid) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'completed', (count(f.id) filter (where s.focused >= 60))::int,
    'focused_minutes', coalesce(floor(sum(s.focused) / 60), 0)::int,
    'longest_minutes', coalesce(floor(max(s.focused) / 60), 0)::int,
    'recent', coalesce(jsonb_agg(f.ended_at) filter (where f.ended_at > now() - interval '5 days' and s.focused >= 60),
      '[]'::jsonb),
    'purchases', (select count(*) from user_market_purchases p where p.user_id = p_user)::int,
    'earned', (select coalesce(jsonb_object_agg(r.achievement, r.earned_at), '{}'::jsonb) from user_rewards r
      where r.user_id = p_user),
    'time_zone', (select st.time_zone from settings st where st.user_id = p_user),
    'now', now())
  from focus_sessions f
  cross join lateral (select greatest(0, least(f.duration_s,
    extract(epoch from (f.ended_at - f.started_at)) - f.paused_total_s)) as focused) s
  where f.user_id = p_user and f.status = 'completed'
$$;
--> statement-breakpoint

-- Completes or abandons a running session (`p_expected`: the optional version
-- precondition). Completing credits 1 coin per focused minute. Returns the
-- session (null when nothing changed, with `current` to tell 404 / 409 apart),
-- the stats after a completion, and the changes.
create or replace function continuum_end_focus(p_user uuid, p_id uuid, p_status text, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  f focus_sessions;
  coins integer;
  changes jsonb;
begin
  update focus_sessions set
      status = p_status,
      ended_at = now(),
      paused_total_s = paused_total_s + coalesce(extract(epoch from (now() - paused_at)), 0),
      paused_at = null,
      version = version + 1,
      updated_at = now()
    where user_id = p_user and id = p_id and status in ('active', 'paused')
      and (p_expected is null or version = p_expected)
    returning * into f;
  if not found then
    return jsonb_build_object('session', null, 'changes', '[]'::jsonb,
      'current', (select to_jsonb(x) from focus_sessions x where x.user_id = p_user and x.id = p_id));
  end if;
  changes := jsonb_build_array(continuum_log(p_user, 'focus_session', 'upsert', to_jsonb(f), p_key));
  if p_status <> 'completed' then
    return jsonb_build_object('session', to_jsonb(f), 'changes', changes);
  end if;
  coins := floor(greatest(0, least(f.duration_s, extract(epoch from (f.ended_at - f.started_at)) - f.paused_total_s)) / 60);
  if coins > 0 then
    changes := changes || (continuum_move(p_user, coins, 'earn', 'focus_session', f.id,
      coins || ' focused ' || case when coins = 1 then 'minute' else 'minutes' end
        || case when coalesce(f.label, '') <> '' then ' — ' || f.label else '' end,
      p_key)->'changes');
  end if;
  return jsonb_build_object('session', to_jsonb(f), 'stats', continuum_market_stats(p_user), 'changes', changes);
end
$$;
--> statement-breakpoint

-- Grants achievements, once each (`p_rewards`: [{id, achievement, bonus,
-- name}], ids derived from (user, achievement)), each with its bonus.
create or replace function continuum_grant(p_user uuid, p_rewards jsonb, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  a jsonb;
  r user_rewards;
  changes jsonb := '[]'::jsonb;
begin
  for a in select * from jsonb_array_elements(p_rewards) loop
    r := null;
    insert into user_rewards (id, user_id, achievement, bonus)
      values ((a->>'id')::uuid, p_user, a->>'achievement', (a->>'bonus')::integer)
      on conflict do nothing
      returning * into r;
    if r.id is not null then
      changes := changes || jsonb_build_array(continuum_log(p_user, 'market_reward', 'upsert', to_jsonb(r), p_key));
      changes := changes || (continuum_move(p_user, r.bonus, 'earn', 'achievement', r.id,
        'Achievement: ' || (a->>'name'), p_key)->'changes');
    end if;
  end loop;
  return jsonb_build_object('changes', changes);
end
$$;
