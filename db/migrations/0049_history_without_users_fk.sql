-- record_history's daily partitions no longer lock `users` (follows 0042, as 0046
-- did for the idempotency keys). Its foreign key to users put triggers on `users`
-- in every partition, so making a day's partition locked `users` (SHARE ROW
-- EXCLUSIVE: every logged write waits) and dropping one locked it wholly (ACCESS
-- EXCLUSIVE: every session check waits), queued behind whatever held `users` for
-- up to the DDL's lock timeout. 0042 made that order deadlock-free; without the
-- foreign key the DDL locks record_history alone. What the key did, now done so:
-- history is written only by continuum_keep_history, which skips a user that no
-- longer exists (and a write locks its user's row first), and an account's
-- history goes with it through a trigger on users, as its keys do (0046).
alter table record_history drop constraint if exists record_history_user_id_fkey;
--> statement-breakpoint
create or replace function continuum_drop_user_history() returns trigger
language plpgsql volatile as $$
begin
  delete from record_history where user_id = old.id;
  return null;
end
$$;
--> statement-breakpoint
create trigger users_drop_history after delete on users for each row execute function continuum_drop_user_history();
--> statement-breakpoint
create or replace function continuum_history_partitions(p_from date, p_days int) returns int
language plpgsql volatile security definer set search_path = public, pg_temp set lock_timeout = '2s' as $$
declare
  d date;
  made int := 0;
begin
  for i in 0 .. p_days - 1 loop
    d := p_from + i;
    if to_regclass('record_history_p' || to_char(d, 'YYYYMMDD')) is null then
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
language plpgsql volatile security definer set search_path = public, pg_temp set lock_timeout = '2s' as $$
begin
  -- Only a daily partition of record_history, by name and by catalog.
  if p_name !~ '^record_history_p[0-9]{8}$' or not exists (
    select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'record_history'::regclass and c.relname = p_name) then
    return false;
  end if;
  execute format('drop table if exists %I', p_name);
  return true;
end
$$;
