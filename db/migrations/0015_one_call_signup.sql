-- Signup as one call (see 0011_one_call_writes.sql for the pattern): the
-- account, its settings record, its wallet with the welcome grant (the first
-- entries of its change log) and its first session, in ONE statement — no
-- account without a token, no account without its coins — instead of an
-- interactive transaction. The password hash, the token and its hash are
-- made in the Worker before; a taken email or username is the unique
-- violation it always was (409).
create or replace function continuum_signup(
  p_id uuid, p_email text, p_username text, p_password_hash text, p_settings jsonb, p_welcome integer,
  p_token_hash text, p_user_agent text, p_expires_at timestamptz)
returns jsonb
language plpgsql volatile as $$
declare
  u users;
  s settings;
  w user_wallet;
  t market_transactions;
  changes jsonb;
begin
  insert into users (id, email, username, password_hash) values (p_id, p_email, p_username, p_password_hash)
    returning * into u;
  insert into settings (id, user_id, theme, accessibility, ui, sync, accent)
    values (gen_random_uuid(), p_id, p_settings->>'theme', p_settings->'accessibility', p_settings->'ui',
      p_settings->'sync', p_settings->>'accent')
    returning * into s;
  changes := jsonb_build_array(continuum_log(p_id, 'settings', 'upsert', to_jsonb(s), null));
  insert into user_wallet (id, user_id, balance, lifetime_earned)
    values (gen_random_uuid(), p_id, p_welcome, p_welcome)
    returning * into w;
  changes := changes || jsonb_build_array(continuum_log(p_id, 'wallet', 'upsert', to_jsonb(w), null));
  insert into market_transactions (id, user_id, amount, balance_after, kind, source_type, source_id, description)
    values (gen_random_uuid(), p_id, p_welcome, p_welcome, 'earn', 'welcome', p_id, 'Welcome to the market')
    returning * into t;
  changes := changes || jsonb_build_array(continuum_log(p_id, 'market_transaction', 'upsert', to_jsonb(t), null));
  insert into sessions (user_id, token_hash, user_agent, expires_at)
    values (p_id, p_token_hash, p_user_agent, p_expires_at);
  return jsonb_build_object('user', jsonb_build_object('id', u.id, 'email', u.email, 'username', u.username,
    'created_at', u.created_at), 'changes', changes);
end
$$;
