-- Undo one change of a restorable record (issue 24) as ONE call. A change is
-- named as the change log names it: (entity, record id, the version it
-- produced — for a delete, the tombstone's: the deleted version + 1). The
-- history entry that change replaced is the one with version - 1 (the trigger
-- of 0017 keeps OLD, whose version is one less for an update and for a
-- delete alike):
--   * found  → an edit or a delete: restore that entry (continuum_restore,
--              0021; version-checked, idempotent);
--   * absent → a creation (or a re-creation by a restore): delete the record,
--              guarded by the version it was created with.
-- Returns {entity, id, row (null once deleted), changed, changes}, or
-- {entity, conflict: true, current, restoring} when the record moved on
-- since (nothing written). SECURITY INVOKER, like 0021: the caller's RLS.

create or replace function continuum_history_table(p_entity text) returns text
language sql immutable as $$
  select case p_entity when 'todo' then 'todos' when 'inbox_item' then 'inbox_items'
    when 'reference' then 'reference_items' end
$$;
--> statement-breakpoint

create or replace function continuum_undo(p_user uuid, p_entity text, p_id uuid, p_version integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  tbl text := continuum_history_table(p_entity);
  entry uuid;
  r jsonb;
  cur jsonb;
begin
  if tbl is null then
    perform continuum_fail('not_restorable');
  end if;
  select h.id into entry from record_history h
    where h.user_id = p_user and h.entity = p_entity and h.record_id = p_id and h.version = p_version - 1
    order by h.created_at desc limit 1;
  if entry is not null then
    r := continuum_restore(p_user, entry, null, p_key);
    if r ? 'conflict' then
      return r || jsonb_build_object('id', p_id);
    end if;
    return jsonb_build_object('entity', p_entity, 'id', p_id, 'row', r->'row', 'changed', r->'restored',
      'changes', r->'changes');
  end if;
  -- A creation: delete what it made, if it is still that version.
  begin
    execute format('delete from %I t where t.user_id = $1 and t.id = $2 and t.version = $3
      returning to_jsonb(t) - ''search''', tbl) into r using p_user, p_id, p_version;
  exception when foreign_key_violation then
    perform continuum_fail('restore_blocked');
  end;
  if r is not null then
    return jsonb_build_object('entity', p_entity, 'id', p_id, 'row', null, 'changed', true,
      'changes', jsonb_build_array(continuum_log(p_user, p_entity, 'delete', r, p_key)));
  end if;
  execute format('select to_jsonb(t) - ''search'' from %I t where t.user_id = $1 and t.id = $2', tbl)
    into cur using p_user, p_id;
  if cur is null then
    -- Already gone: a repeated undo writes nothing more.
    return jsonb_build_object('entity', p_entity, 'id', p_id, 'row', null, 'changed', false, 'changes', '[]'::jsonb);
  end if;
  return jsonb_build_object('entity', p_entity, 'id', p_id, 'conflict', true, 'current', cur, 'restoring', null,
    'changes', '[]'::jsonb);
end
$$;
--> statement-breakpoint

-- The user's latest changes of restorable records, newest first, as the change
-- log has them (one per record and seq; a compacted log keeps each record's
-- newest), with what the record was called.
create or replace function continuum_recent_changes(p_user uuid, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x order by x.seq desc), '[]'::jsonb) from (
    select c.seq, c.entity, c.record_id, c.op, c.version, c.created_at,
      coalesce(c.data, (select h.data from record_history h where h.user_id = c.user_id and h.entity = c.entity
        and h.record_id = c.record_id and h.version = c.version - 1 order by h.created_at desc limit 1)) as data,
      exists (select 1 from record_history h where h.user_id = c.user_id and h.entity = c.entity
        and h.record_id = c.record_id and h.version = c.version - 1) as replaced
    from change_log c
    where c.user_id = p_user and c.entity in ('todo', 'inbox_item', 'reference')
    order by c.seq desc limit p_limit) x
$$;
--> statement-breakpoint

-- Undoes the user's latest change of a restorable record (the assistant's and
-- MCP's undo_last_action). Undoing twice undoes the undo.
create or replace function continuum_undo_last(p_user uuid, p_key text) returns jsonb
language plpgsql volatile as $$
declare
  c change_log;
begin
  select * into c from change_log
    where user_id = p_user and entity in ('todo', 'inbox_item', 'reference')
    order by seq desc limit 1;
  if not found then
    perform continuum_fail('nothing_to_undo');
  end if;
  return continuum_undo(p_user, c.entity, c.record_id, c.version, p_key)
    || jsonb_build_object('undid', jsonb_build_object('entity', c.entity, 'id', c.record_id, 'op', c.op,
      'version', c.version, 'at', c.created_at));
end
$$;
--> statement-breakpoint

-- "Undo" on an executed assistant tool call (issue 24) as ONE call: the change
-- the call made is named from its own result (the record it left, with its
-- version) and undone by continuum_undo() (above: version-checked,
-- idempotent); a started focus session is abandoned (continuum_end_focus(),
-- 0012). The call gets undone_at and its conversation a new version (its state
-- ETag), both logged, so every device shows it. The call's row is locked
-- first: two racing undos run one after the other, the second a no-op.
--
-- Returns {call, changes}, or {conflict: true, current, restoring} (nothing
-- written); raises CNAPP tool_call_not_found / not_undoable /
-- focus_session_ended / restore_blocked.

create or replace function continuum_undo_call(p_user uuid, p_call uuid, p_key text) returns jsonb
language plpgsql volatile as $$
declare
  c tool_calls;
  v conversations;
  res jsonb;
  u jsonb;
  changes jsonb;
begin
  select * into c from tool_calls where user_id = p_user and id = p_call for update;
  if not found then
    perform continuum_fail('tool_call_not_found');
  end if;
  if c.undone_at is not null then
    return jsonb_build_object('call', to_jsonb(c), 'changes', '[]'::jsonb);
  end if;
  res := c.result;
  if c.status <> 'executed' or jsonb_typeof(res) <> 'object' or not (res ? 'id') then
    perform continuum_fail('not_undoable');
  end if;
  if c.name = 'start_focus' then
    u := continuum_end_focus(p_user, (res->>'id')::uuid, 'abandoned', null, p_key);
    if u->'session' = 'null'::jsonb and coalesce(u->'current'->>'status', '') <> 'abandoned' then
      perform continuum_fail('focus_session_ended');
    end if;
  else
    u := case c.name
      when 'create_todo' then continuum_undo(p_user, 'todo', (res->>'id')::uuid, (res->>'version')::integer, p_key)
      when 'complete_todo' then continuum_undo(p_user, 'todo', (res->>'id')::uuid, (res->>'version')::integer, p_key)
      -- A delete's change is its tombstone: the deleted version + 1.
      when 'delete_todo' then continuum_undo(p_user, 'todo', (res->>'id')::uuid, (res->>'version')::integer + 1, p_key)
      when 'capture_inbox' then
        continuum_undo(p_user, 'inbox_item', (res->>'id')::uuid, (res->>'version')::integer, p_key)
      -- An undo_last_action left a record (its version), or deleted one it found at undid.version.
      when 'undo_last_action' then
        case when (res->>'changed')::boolean then continuum_undo(p_user, res->>'entity', (res->>'id')::uuid,
          coalesce((res->'record'->>'version')::integer, (res->'undid'->>'version')::integer + 1), p_key) end
    end;
    if u is null then
      perform continuum_fail('not_undoable');
    end if;
    if u ? 'conflict' then
      return u;
    end if;
  end if;
  changes := u->'changes';
  update tool_calls set undone_at = now(), version = version + 1, updated_at = now()
    where user_id = p_user and id = p_call returning * into c;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'tool_call', 'upsert', to_jsonb(c), p_key));
  update conversations set version = version + 1, updated_at = now()
    where user_id = p_user and id = c.conversation_id returning * into v;
  changes := changes || jsonb_build_array(continuum_log(p_user, 'conversation', 'upsert', to_jsonb(v), p_key));
  return jsonb_build_object('call', to_jsonb(c), 'changes', changes);
end
$$;
