-- The assistant's transitions as one call each (issue 20, the pattern of 0011/0023): the claim of
-- send_message and of approve_tools (each returning the history the run reads next, so the claim
-- and the read are one round trip), and the end of a run (its messages, tool calls and next status,
-- returning the state the response shows). Each was an interactive transaction (BEGIN, the user-row
-- lock, a count, updates and inserts one by one, COMMIT on a WebSocket connection) followed by reads.
-- SECURITY INVOKER: under the caller's row-level security. Refusals raise CNAPP (continuum_fail);
-- workers/assistant/conversations.ts maps them to the same 404/409/429s as before.

-- The latest p_limit messages of a conversation, oldest first, each with its tool call (or null).
create or replace function continuum_history(p_user uuid, p_id uuid, p_limit integer)
returns jsonb
language sql volatile as $$
  select coalesce(jsonb_agg(jsonb_build_object('message', h.m, 'call', h.c) order by h.seq), '[]'::jsonb)
  from (select to_jsonb(m) as m, m.seq, case when tc.id is null then null else to_jsonb(tc) end as c
        from messages m left join tool_calls tc on tc.user_id = m.user_id and tc.id = m.tool_call_id
        where m.user_id = p_user and m.conversation_id = p_id
        order by m.seq desc limit p_limit) h
$$;
--> statement-breakpoint

-- The user's run slot, first in a claim: the user-row lock serializes the user's claims, so the count
-- of live runs holds until this one is running ('too_many_runs' at p_max_runs).
create or replace function continuum_run_slot(p_user uuid, p_max_runs integer)
returns void
language plpgsql volatile as $$
declare
  n integer;
begin
  perform 1 from users where id = p_user for no key update;
  select count(*) into n from conversations where user_id = p_user and status = 'running' and lease_until > now();
  if n >= p_max_runs then perform continuum_fail('too_many_runs'); end if;
end
$$;
--> statement-breakpoint

-- send_message's claim: idle or error (or running with an expired lease) → running, the title from the
-- first message, and the user's message. Returns the conversation, the history (p_history messages)
-- and the changes.
create or replace function continuum_claim_send(
  p_user uuid, p_id uuid, p_content text, p_run uuid, p_lease_s integer, p_max_runs integer,
  p_default_title text, p_title text, p_history integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  conv conversations;
  m messages;
  changes jsonb;
begin
  perform continuum_run_slot(p_user, p_max_runs);
  update conversations set status = 'running', run_id = p_run, lease_until = now() + p_lease_s * interval '1 second',
      last_error = null,
      title = case when title = p_default_title and not exists (
          select 1 from messages x where x.user_id = p_user and x.conversation_id = p_id) then p_title else title end,
      version = version + 1, updated_at = now()
    where id = p_id and user_id = p_user
      and (status in ('idle', 'error') or (status = 'running' and lease_until < now()))
    returning * into conv;
  if not found then
    perform 1 from conversations where id = p_id and user_id = p_user;
    if not found then perform continuum_fail('conversation_not_found'); end if;
    perform continuum_fail('conversation_busy');
  end if;
  changes := jsonb_build_array(continuum_log(p_user, 'conversation', 'upsert', to_jsonb(conv), p_key));
  insert into messages (id, user_id, conversation_id, seq, role, content)
    values (gen_random_uuid(), p_user, p_id,
      (select coalesce(max(x.seq), 0) + 1 from messages x where x.user_id = p_user and x.conversation_id = p_id),
      'user', p_content)
    returning * into m;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'message', 'upsert', to_jsonb(m), p_key));
  return jsonb_build_object('conversation', to_jsonb(conv), 'history', continuum_history(p_user, p_id, p_history),
    'changes', changes);
end
$$;
--> statement-breakpoint

-- approve_tools' claim: awaiting_approval → running; each named call pending_approval → approved |
-- denied, all or nothing ('tool_call_not_found' / 'tool_call_not_pending' otherwise).
create or replace function continuum_claim_approve(
  p_user uuid, p_id uuid, p_approve uuid[], p_deny uuid[], p_run uuid, p_lease_s integer, p_max_runs integer,
  p_history integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  conv conversations;
  tc tool_calls;
  decided integer := 0;
  changes jsonb;
begin
  perform continuum_run_slot(p_user, p_max_runs);
  update conversations set status = 'running', run_id = p_run, lease_until = now() + p_lease_s * interval '1 second',
      last_error = null, version = version + 1, updated_at = now()
    where id = p_id and user_id = p_user and status = 'awaiting_approval'
    returning * into conv;
  if not found then
    perform 1 from conversations where id = p_id and user_id = p_user;
    if not found then perform continuum_fail('conversation_not_found'); end if;
    perform continuum_fail('tool_call_not_pending');
  end if;
  changes := jsonb_build_array(continuum_log(p_user, 'conversation', 'upsert', to_jsonb(conv), p_key));
  for tc in update tool_calls set status = 'approved', version = version + 1, updated_at = now()
      where user_id = p_user and conversation_id = p_id and id = any (p_approve) and status = 'pending_approval'
      returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'upsert', to_jsonb(tc), p_key));
    decided := decided + 1;
  end loop;
  for tc in update tool_calls set status = 'denied', result = '{"reason": "Denied by the user."}'::jsonb,
        version = version + 1, updated_at = now()
      where user_id = p_user and conversation_id = p_id and id = any (p_deny) and status = 'pending_approval'
      returning * loop
    changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'upsert', to_jsonb(tc), p_key));
    decided := decided + 1;
  end loop;
  if decided <> cardinality(p_approve) + cardinality(p_deny) then
    if (select count(*) from tool_calls where user_id = p_user and conversation_id = p_id
          and id = any (p_approve || p_deny)) < cardinality(p_approve) + cardinality(p_deny) then
      perform continuum_fail('tool_call_not_found');
    end if;
    perform continuum_fail('tool_call_not_pending');
  end if;
  return jsonb_build_object('conversation', to_jsonb(conv), 'history', continuum_history(p_user, p_id, p_history),
    'changes', changes);
end
$$;
--> statement-breakpoint

-- The end of a run, guarded by its claim ('lease_expired' when it lost it: nothing is written): the next
-- status, the run's tool calls and messages (positions from p_seq, or after the last), and the state
-- the response shows — the conversation, the latest p_state messages and the todos that the pending
-- calls name (for their approval cards).
create or replace function continuum_finish_run(
  p_user uuid, p_id uuid, p_run uuid, p_status text, p_error text, p_calls jsonb, p_messages jsonb,
  p_seq integer, p_state integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  conv conversations;
  tc tool_calls;
  m messages;
  c jsonb;
  pos integer := p_seq;
  changes jsonb;
begin
  update conversations set status = p_status, run_id = null, lease_until = null, last_error = p_error,
      version = version + 1, updated_at = now()
    where id = p_id and user_id = p_user and run_id = p_run and status = 'running'
    returning * into conv;
  if not found then perform continuum_fail('lease_expired'); end if;
  changes := jsonb_build_array(continuum_log(p_user, 'conversation', 'upsert', to_jsonb(conv), p_key));
  for c in select value from jsonb_array_elements(p_calls) loop
    insert into tool_calls (id, user_id, conversation_id, call_id, name, input, status, result)
      values ((c->>'id')::uuid, p_user, p_id, c->>'callId', c->>'name', c->'input', c->>'status',
        nullif(c->'result', 'null'::jsonb))
      returning * into tc;
    changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'upsert', to_jsonb(tc), p_key));
  end loop;
  for c in select value from jsonb_array_elements(p_messages) loop
    insert into messages (id, user_id, conversation_id, seq, role, content, tool_call_id)
      values (gen_random_uuid(), p_user, p_id,
        coalesce(pos, (select coalesce(max(x.seq), 0) + 1 from messages x
          where x.user_id = p_user and x.conversation_id = p_id)),
        c->>'role', c->>'content', (c->>'toolCallId')::uuid)
      returning * into m;
    pos := pos + 1;
    changes := changes || jsonb_build_array(continuum_log(p_user, 'message', 'upsert', to_jsonb(m), p_key));
  end loop;
  return jsonb_build_object('conversation', to_jsonb(conv), 'history', continuum_history(p_user, p_id, p_state),
    'named', (select coalesce(jsonb_agg(jsonb_build_object('id', t.id, 'title', t.title, 'done', t.done)), '[]'::jsonb)
      from todos t where t.user_id = p_user and t.id in (
        select case when x.input->>'id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
          then (x.input->>'id')::uuid end
        from tool_calls x where x.user_id = p_user and x.conversation_id = p_id
          and x.status = 'pending_approval' and x.name in ('complete_todo', 'delete_todo'))),
    'changes', changes);
end
$$;
