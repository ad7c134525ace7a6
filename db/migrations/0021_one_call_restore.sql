-- Restore a history entry (issue 24) as ONE call: the entry, the record as it
-- is now, the version check, the write and its change-log entry in one
-- statement led by the session check (the pattern of 0011_one_call_writes.sql;
-- workers/data/history.ts restoreEntry()). It used to be a read, then a write
-- through the write path: two round trips.
--
-- SECURITY INVOKER: it runs under the caller's row-level security, so it sees
-- and writes only the caller's entries and records. The write fires the
-- history trigger of 0017 like any other: a restore is itself undoable.
--
-- Returns {entity, row, restored, changes}; {entity, conflict: true, current,
-- restoring} when the record is not the version the restore expects (nothing
-- written); raises CNAPP 'history_not_found' / 'restore_blocked' (a record it
-- points to is gone).

create or replace function continuum_restore(p_user uuid, p_entry uuid, p_expected integer, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  h record_history;
  tbl text;
  cols text;   -- the content columns the entry has: a, b, …
  tcols text;  -- t.a, t.b, …
  rcols text;  -- r.a, r.b, …
  q text;
  cur jsonb;
  same boolean;
  top integer;
  want integer;
  r jsonb;
begin
  select * into h from record_history where id = p_entry and user_id = p_user;
  if not found then
    perform continuum_fail('history_not_found');
  end if;
  tbl := case h.entity when 'todo' then 'todos' when 'inbox_item' then 'inbox_items'
    when 'reference' then 'reference_items' end;
  if tbl is null then
    perform continuum_fail('history_not_found');
  end if;
  -- Content: every stored, non-generated column but identity, version and timestamps, that the entry
  -- holds (a column added after the entry was kept keeps its current value).
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
         string_agg('t.' || quote_ident(a.attname), ', ' order by a.attnum),
         string_agg('r.' || quote_ident(a.attname), ', ' order by a.attnum)
    into cols, tcols, rcols
    from pg_attribute a
    where a.attrelid = tbl::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      and a.attname not in ('id', 'user_id', 'version', 'created_at', 'updated_at') and h.data ? a.attname;

  -- The record as it is now, and whether it already holds the entry's content (compared typed, not as
  -- text). Run again after a lost race: each statement of a volatile function sees the latest commits.
  q := format('select to_jsonb(t) - ''search'', row(%s) is not distinct from row(%s)
    from %I t, jsonb_populate_record(null::%I, $1) r where t.user_id = $2 and t.id = $3', tcols, rcols, tbl, tbl);
  execute q into cur, same using h.data, p_user, h.record_id;
  if cur is not null and same then
    -- Idempotent: a repeated (or racing) restore writes nothing more.
    return jsonb_build_object('entity', h.entity, 'row', cur, 'restored', false, 'changes', '[]'::jsonb);
  end if;
  -- Undo: the record must still be the version that replaced the entry (or the one the user saw);
  -- a deleted record must still be gone.
  want := coalesce(p_expected, h.version + 1);
  if (h.op = 'update' and (cur->>'version')::integer = want) or (h.op = 'delete' and cur is null) then
    begin
      if h.op = 'update' then
        execute format('update %I t set (%s) = (select %s from jsonb_populate_record(null::%I, $1) r),
            version = t.version + 1, updated_at = now()
          where t.user_id = $2 and t.id = $3 and t.version = $4 returning to_jsonb(t) - ''search''',
          tbl, cols, rcols, tbl) into r using h.data, p_user, h.record_id, want;
      else
        -- Above every version the record ever had, its last tombstone included (tombstone = deleted version + 1).
        select max(m.version) into top from record_history m
          where m.user_id = p_user and m.entity = h.entity and m.record_id = h.record_id;
        execute format('insert into %I as t (id, user_id, version, created_at, %s)
            select $2, $3, $4, ($1->>''created_at'')::timestamptz, %s from jsonb_populate_record(null::%I, $1) r
          on conflict (user_id, id) do nothing returning to_jsonb(t) - ''search''',
          tbl, cols, rcols, tbl) into r using h.data, h.record_id, p_user, top + 2;
      end if;
    exception when foreign_key_violation then
      perform continuum_fail('restore_blocked');
    end;
    if r is not null then
      return jsonb_build_object('entity', h.entity, 'row', r, 'restored', true,
        'changes', jsonb_build_array(continuum_log(p_user, h.entity, 'upsert', r, p_key)));
    end if;
    -- Lost a race: the record moved on, or a racing restore wrote it. Look again.
    execute q into cur, same using h.data, p_user, h.record_id;
    if cur is not null and same then
      return jsonb_build_object('entity', h.entity, 'row', cur, 'restored', false, 'changes', '[]'::jsonb);
    end if;
  end if;
  return jsonb_build_object('entity', h.entity, 'conflict', true, 'current', cur, 'restoring', h.data,
    'changes', '[]'::jsonb);
end
$$;
