-- The assistant at the round-trip budget (issue 20): send_message and approve_tools are pipelined (the
-- session check leads the claim), so the run rate moves from a Workers Rate Limiting binding (which
-- needed the confirmed user before the claim: a forged token must not spend someone else's budget)
-- into the claim itself; an approved call's guard rides with its first write; and the end of a run
-- records what the run decided about existing calls (executed, failed, voided) in its one statement.

-- The user's run slot, first in a claim (continuum_claim_send / _approve, 0026): at most 20 claims a
-- wall-clock minute (continuum_rate() and its rate_windows row, 0035, as the studio's rates; README
-- "Limits", workers/assistant/conversations.ts RUNS_PER_MINUTE), then at most p_max_runs live runs. The
-- user-row lock serializes the user's claims; a refused claim rolls back whole, its hit with it.
-- Refusals: 'rate_limited:assistant' and 'too_many_runs' → 429.
create or replace function continuum_run_slot(p_user uuid, p_max_runs integer)
returns void
language plpgsql volatile as $$
declare
  n integer;
begin
  perform 1 from users where id = p_user for no key update;
  perform continuum_rate(p_user, 'assistant', 20, 'assistant');
  select count(*) into n from conversations where user_id = p_user and status = 'running' and lease_until > now();
  if n >= p_max_runs then perform continuum_fail('too_many_runs'); end if;
end
$$;
--> statement-breakpoint

-- The guard of one approved call's execution. It rides in the same transaction as the tool's first
-- statement (db/client.ts `ride`): the claim must still be this run's ('lease_expired' otherwise, and
-- the tool's write does not commit), and the call becomes `executed` together with that write — never
-- run twice, never half done. The run's end records its result (continuum_finish_run, p_decided).
create or replace function continuum_hold_call(p_user uuid, p_id uuid, p_run uuid, p_call uuid, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  conv conversations;
  tc tool_calls;
  changes jsonb;
begin
  update conversations set version = version + 1, updated_at = now()
    where id = p_id and user_id = p_user and run_id = p_run and status = 'running'
    returning * into conv;
  if not found then perform continuum_fail('lease_expired'); end if;
  changes := jsonb_build_array(continuum_log(p_user, 'conversation', 'upsert', to_jsonb(conv), p_key));
  update tool_calls set status = 'executed', version = version + 1, updated_at = now()
    where user_id = p_user and conversation_id = p_id and id = p_call and status = 'approved'
    returning * into tc;
  if not found then perform continuum_fail('tool_call_not_pending'); end if;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'upsert', to_jsonb(tc), p_key));
  return jsonb_build_object('changes', changes);
end
$$;
--> statement-breakpoint

-- The end of a run (0026) plus p_decided: [{id, status, result}] for the conversation's existing calls
-- this run decided (an approved call's result or failure, calls voided by a new message).
drop function if exists continuum_finish_run(uuid, uuid, uuid, text, text, jsonb, jsonb, integer, integer, text);
--> statement-breakpoint
create or replace function continuum_finish_run(
  p_user uuid, p_id uuid, p_run uuid, p_status text, p_error text, p_calls jsonb, p_messages jsonb,
  p_seq integer, p_state integer, p_key text, p_decided jsonb)
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
  for c in select value from jsonb_array_elements(coalesce(p_decided, '[]'::jsonb)) loop
    update tool_calls set status = c->>'status', result = nullif(c->'result', 'null'::jsonb),
        version = version + 1, updated_at = now()
      where user_id = p_user and conversation_id = p_id and id = (c->>'id')::uuid
      returning * into tc;
    if found then
      changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'upsert', to_jsonb(tc), p_key));
    end if;
  end loop;
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
