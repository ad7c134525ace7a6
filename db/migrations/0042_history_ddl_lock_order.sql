-- The hourly job's partition DDL on record_history (0017/0018) deadlocked with
-- user writes. record_history.user_id references users, so creating a day's
-- partition adds the foreign key's triggers to `users` (SHARE ROW EXCLUSIVE)
-- and dropping one removes them (ACCESS EXCLUSIVE) — after the DDL already
-- holds record_history. Every logged write takes the locks the other way
-- round: `users` first (its change_seq bump, locked when the statement is
-- planned), then record_history (the history trigger's insert). Both orders
-- at once is a deadlock; Postgres aborted the write's statement (a 500).
-- Now the DDL takes `users` first, as the writers do, and gives up after a
-- few seconds rather than queue every write behind a long transaction (the
-- next hourly run tries again: partitions are made days ahead).
create or replace function continuum_history_partitions(p_from date, p_days int) returns int
language plpgsql volatile security definer set search_path = public, pg_temp set lock_timeout = '5s' as $$
declare
  d date;
  made int := 0;
begin
  for i in 0 .. p_days - 1 loop
    d := p_from + i;
    if to_regclass('record_history_p' || to_char(d, 'YYYYMMDD')) is null then
      lock table users in share row exclusive mode;
      lock table record_history in access exclusive mode;
      begin
        execute format(
          'create table %I partition of record_history for values from (%L) to (%L)',
          'record_history_p' || to_char(d, 'YYYYMMDD'), d::timestamp at time zone 'UTC', (d + 1)::timestamp at time zone 'UTC');
        -- Row-level security (0018): a new day's partition is protected like its parent.
        perform continuum_protect(('record_history_p' || to_char(d, 'YYYYMMDD'))::regclass);
        made := made + 1;
      exception when check_violation then
        null;
      end;
    end if;
  end loop;
  return made;
end
$$;
--> statement-breakpoint
create or replace function continuum_history_drop(p_name text) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp set lock_timeout = '5s' as $$
begin
  -- Only a daily partition of record_history, by name and by catalog.
  if p_name !~ '^record_history_p[0-9]{8}$' or not exists (
    select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'record_history'::regclass and c.relname = p_name) then
    return false;
  end if;
  lock table users in access exclusive mode;
  lock table record_history in access exclusive mode;
  execute format('drop table if exists %I', p_name);
  return true;
end
$$;
