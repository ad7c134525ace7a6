-- Per-user quotas (README "Limits"; the numbers are QUOTAS in workers/protocol/rules.ts,
-- and tests/worker/quotas.test.ts checks that these triggers carry the same ones).
--
-- A BEFORE INSERT trigger counts the user's rows in the same statement as the
-- insert: no extra round trip, and every path (routes, assistant tools, MCP,
-- jobs) is bounded alike. It first locks the user's row (the lock every logged
-- write takes anyway to bump change_seq), so two inserts racing for the last
-- slot are serialized and the count is exact. Over the limit it raises SQLSTATE
-- CN413 with the table in TABLE and the limit in DETAIL; workers/errors.ts
-- answers 413 `quota_exceeded` with both in `details`.
--
-- Arguments: limit, an optional extra condition on the counted rows, and an
-- optional column that scopes the count further (messages per conversation).
create or replace function continuum_quota() returns trigger
language plpgsql volatile as $$
declare
  lim integer := tg_argv[0]::integer;
  cond text := coalesce(nullif(tg_argv[1], ''), 'true');
  scope_col text := nullif(tg_argv[2], '');
  n integer;
begin
  perform 1 from users where id = new.user_id for no key update;
  if scope_col is null then
    execute format('select count(*) from %I where user_id = $1 and (%s)', tg_table_name, cond)
      into n using new.user_id;
  else
    execute format('select count(*) from %I where user_id = $1 and %I = ($2)::uuid and (%s)',
        tg_table_name, scope_col, cond)
      into n using new.user_id, to_jsonb(new) ->> scope_col;
  end if;
  if n >= lim then
    raise exception using errcode = 'CN413', message = 'quota exceeded', table = tg_table_name,
      detail = lim::text, hint = coalesce(tg_argv[3], tg_table_name);
  end if;
  return new;
end
$$;
--> statement-breakpoint
create trigger quota_loops before insert on loops
  for each row execute function continuum_quota('1000', '', '', 'loops');
--> statement-breakpoint
create trigger quota_songs before insert on songs
  for each row execute function continuum_quota('500', '', '', 'songs');
--> statement-breakpoint
create trigger quota_conversations before insert on conversations
  for each row execute function continuum_quota('1000', '', '', 'conversations');
--> statement-breakpoint
create trigger quota_messages before insert on messages
  for each row execute function continuum_quota('1000', '', 'conversation_id', 'messages');
--> statement-breakpoint
create trigger quota_todos before insert on todos
  for each row execute function continuum_quota('5000', '', '', 'todos');
--> statement-breakpoint
create trigger quota_inbox_items before insert on inbox_items
  for each row execute function continuum_quota('10000', '', '', 'inbox_items');
--> statement-breakpoint
create trigger quota_reference_items before insert on reference_items
  for each row execute function continuum_quota('10000', '', '', 'references');
--> statement-breakpoint
create trigger quota_custom_rewards before insert on market_items
  for each row when (new.user_id is not null)
  execute function continuum_quota('200', '', '', 'custom_rewards');
--> statement-breakpoint
create trigger quota_device_sessions before insert on sessions
  for each row when (new.kind = 'device')
  execute function continuum_quota('100', 'kind = ''device'' and expires_at > now()', '', 'sessions');
--> statement-breakpoint
create trigger quota_access_tokens before insert on sessions
  for each row when (new.kind = 'token')
  execute function continuum_quota('50', 'kind = ''token''', '', 'access_tokens');
