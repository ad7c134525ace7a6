-- Writes that used to be interactive transactions (a read, JS deciding, more
-- statements, BEGIN/COMMIT over a WebSocket connection of their own) as ONE
-- call over the HTTP path: the session check leads it in the same
-- non-interactive transaction, so a purchase, a refund or a like costs one
-- round trip. SECURITY INVOKER (the default): they run with the caller's
-- rights and see only what the caller's policies let it see.
--
-- Each change goes to the change log exactly as workers/sync/write.ts
-- `logged()` writes it (the owner's cursor bumped under the user-row lock, the
-- raw row as data, the Idempotency-Key's outcome: the last row, and the last of
-- each entity) and is returned, so the Worker reports the cursor and relays
-- the changes after commit (workers/sync/call.ts). Refusals raise SQLSTATE
-- CNAPP with the API error code as the message (workers/data/market.ts and
-- studio.ts map them to the same 404/409s as before).

create or replace function continuum_fail(code text) returns void
language plpgsql volatile as $$
begin
  raise exception using errcode = 'CNAPP', message = code;
end
$$;
--> statement-breakpoint

-- Appends one change to `p_owner`'s log. `p_row` is the record as to_jsonb()
-- makes it (derived columns already removed), with `id` and `version`.
create or replace function continuum_log(p_owner uuid, p_entity text, p_op text, p_row jsonb, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  seq bigint;
  v integer := (p_row->>'version')::integer + case when p_op = 'delete' then 1 else 0 end;
begin
  update users set change_seq = change_seq + 1 where id = p_owner returning change_seq into seq;
  insert into change_log (user_id, seq, entity, record_id, op, version, data)
    values (p_owner, seq, p_entity, (p_row->>'id')::uuid, p_op, v, case when p_op = 'delete' then null else p_row end);
  if p_key is not null then
    update idempotency_keys set outcome = jsonb_build_object('entity', p_entity, 'cursor', seq::text, 'row', p_row,
        'rows', coalesce(idempotency_keys.outcome->'rows', '{}'::jsonb) || jsonb_build_object(p_entity, p_row))
      where user_id = p_owner and key = p_key and status is null;
  end if;
  return jsonb_build_object('owner', p_owner, 'cursor', seq::text, 'entity', p_entity, 'op', p_op, 'row', p_row);
end
$$;
--> statement-breakpoint

-- Moves coins: the wallet update and its ledger row (never below zero: the
-- debit is conditional, and CHECKs back it). Returns the changes; the wallet
-- after it in `wallet`, or null (nothing written) when a debit isn't covered.
create or replace function continuum_move(
  p_user uuid, p_amount integer, p_kind text, p_source_type text, p_source_id uuid, p_description text, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  w user_wallet;
  t market_transactions;
begin
  update user_wallet set
      balance = balance + p_amount,
      lifetime_earned = lifetime_earned + case when p_kind = 'earn' then p_amount else 0 end,
      version = version + 1,
      updated_at = now()
    where user_id = p_user and (p_amount >= 0 or balance >= -p_amount)
    returning * into w;
  if not found then
    return jsonb_build_object('wallet', null, 'changes', '[]'::jsonb);
  end if;
  insert into market_transactions
      (id, user_id, amount, balance_after, kind, source_type, source_id, description, created_at, updated_at)
    values (gen_random_uuid(), p_user, p_amount, w.balance, p_kind, p_source_type, p_source_id, p_description,
      clock_timestamp(), clock_timestamp())
    returning * into t;
  return jsonb_build_object('wallet', to_jsonb(w), 'changes', jsonb_build_array(
    continuum_log(p_user, 'wallet', 'upsert', to_jsonb(w), p_key),
    continuum_log(p_user, 'market_transaction', 'upsert', to_jsonb(t), p_key)));
end
$$;
--> statement-breakpoint

-- Buys an item (workers/data/market.ts buy()): the purchase row first (a
-- racing purchase of the same non-consumable fails on the owned-once index
-- before anything is debited), the conditional debit and its ledger row, and
-- the first-purchase achievement with its bonus, once. A repeated client id
-- returns the purchase it made (`created` false).
create or replace function continuum_buy(
  p_user uuid, p_item uuid, p_id uuid, p_key text,
  p_reward_id uuid, p_reward_achievement text, p_reward_bonus integer, p_reward_name text)
returns jsonb
language plpgsql volatile as $$
declare
  item market_items;
  p user_market_purchases;
  r user_rewards;
  moved jsonb;
  wallet jsonb;
  changes jsonb;
begin
  select * into p from user_market_purchases where user_id = p_user and id = p_id;
  if found then
    if p.item_id is distinct from p_item then perform continuum_fail('id_conflict'); end if;
    return jsonb_build_object('created', false, 'purchase', to_jsonb(p),
      'wallet', (select to_jsonb(w) from user_wallet w where w.user_id = p_user), 'changes', '[]'::jsonb);
  end if;
  select * into item from market_items i
    where i.id = p_item and ((i.user_id is null and i.active) or i.user_id = p_user);
  if not found then perform continuum_fail('market_item_not_found'); end if;
  if exists (select 1 from user_market_purchases o where o.user_id = p_user and o.item_id = p_item
      and not o.consumable and o.refunded_at is null) then
    perform continuum_fail('already_owned');
  end if;
  insert into user_market_purchases (id, user_id, item_id, item_name, price, consumable, effect)
    values (p_id, p_user, item.id, item.name, item.price, item.consumable, item.effect)
    on conflict (user_id, id) do nothing
    returning * into p;
  if p.id is null then
    -- A racing request with this id committed first: its purchase, not a second one.
    select * into p from user_market_purchases where user_id = p_user and id = p_id;
    if p.item_id is distinct from p_item then perform continuum_fail('id_conflict'); end if;
    return jsonb_build_object('created', false, 'purchase', to_jsonb(p),
      'wallet', (select to_jsonb(w) from user_wallet w where w.user_id = p_user), 'changes', '[]'::jsonb);
  end if;
  changes := jsonb_build_array(continuum_log(p_user, 'market_purchase', 'upsert', to_jsonb(p), p_key));
  moved := continuum_move(p_user, -item.price, 'purchase', 'purchase', p_id, 'Bought ' || item.name, p_key);
  if moved->'wallet' = 'null'::jsonb then perform continuum_fail('insufficient_funds:' || item.price); end if;
  changes := changes || (moved->'changes');
  wallet := moved->'wallet';
  if p_reward_id is not null and not exists (
      select 1 from user_rewards x where x.user_id = p_user and x.achievement = p_reward_achievement) then
    insert into user_rewards (id, user_id, achievement, bonus)
      values (p_reward_id, p_user, p_reward_achievement, p_reward_bonus)
      on conflict do nothing
      returning * into r;
    if r.id is not null then
      changes := changes || jsonb_build_array(continuum_log(p_user, 'market_reward', 'upsert', to_jsonb(r), p_key));
      moved := continuum_move(p_user, p_reward_bonus, 'earn', 'achievement', r.id,
        'Achievement: ' || p_reward_name, p_key);
      changes := changes || (moved->'changes');
      wallet := moved->'wallet';
    end if;
  end if;
  return jsonb_build_object('created', true, 'purchase', to_jsonb(p), 'wallet', wallet, 'changes', changes);
end
$$;
--> statement-breakpoint

-- Refunds a purchase within the window, once (workers/data/market.ts
-- refund()): marks it, credits the price back by a correcting ledger row, and
-- switches off an applied accent it bought.
create or replace function continuum_refund(p_user uuid, p_id uuid, p_key text, p_window_s integer)
returns jsonb
language plpgsql volatile as $$
declare
  p user_market_purchases;
  s settings;
  moved jsonb;
  changes jsonb;
begin
  update user_market_purchases set refunded_at = now(), version = version + 1, updated_at = now()
    where user_id = p_user and id = p_id and refunded_at is null
      and created_at > now() - make_interval(secs => p_window_s)
    returning * into p;
  if not found then
    select * into p from user_market_purchases where user_id = p_user and id = p_id;
    if not found then perform continuum_fail('purchase_not_found'); end if;
    if p.refunded_at is not null then perform continuum_fail('already_refunded'); end if;
    perform continuum_fail('refund_window_closed');
  end if;
  changes := jsonb_build_array(continuum_log(p_user, 'market_purchase', 'upsert', to_jsonb(p), p_key));
  moved := continuum_move(p_user, p.price, 'refund', 'refund', p.id, 'Refunded ' || p.item_name, p_key);
  changes := changes || (moved->'changes');
  if p.effect->>'kind' = 'accent' then
    for s in
      update settings set accent = null, version = version + 1, updated_at = now()
        where user_id = p_user and accent = p.effect->>'accent'
        returning *
    loop
      changes := changes || jsonb_build_array(continuum_log(p_user, 'settings', 'upsert', to_jsonb(s), p_key));
    end loop;
  end if;
  return jsonb_build_object('purchase', to_jsonb(p), 'wallet', moved->'wallet', 'changes', changes);
end
$$;
--> statement-breakpoint

-- Like (true) or unlike (false) a loop the caller may read (workers/data/
-- studio.ts): the join row is the truth, the counter moves only when a row was
-- inserted or deleted, and the owner's log gets the new count. The two users'
-- rows are locked in id order first, so crossing likes wait, never deadlock.
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
    changes := jsonb_build_array(continuum_log(p_user, 'loop_like', case when p_like then 'upsert' else 'delete' end,
      to_jsonb(lk) || jsonb_build_object('id', lk.loop_id, 'version', 1), p_key));
    update loops set likes_count = likes_count + case when p_like then 1 else -1 end
      where id = p_loop returning * into l;
    if found then
      changes := changes || jsonb_build_array(continuum_log(l.user_id, 'loop', 'upsert', to_jsonb(l) - 'hot_score',
        case when l.user_id = p_user then p_key end));
      return jsonb_build_object('liked', p_like, 'likes_count', l.likes_count, 'changes', changes);
    end if;
  end if;
  select * into l from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  return jsonb_build_object('liked', exists (select 1 from loop_likes where user_id = p_user and loop_id = p_loop),
    'likes_count', l.likes_count, 'changes', coalesce(changes, '[]'::jsonb));
end
$$;
