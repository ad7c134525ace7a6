-- Per-user history (issue 24): every update or delete of a restorable record
-- keeps the version it replaced (or the deleted record) here, written by an
-- AFTER trigger — inside the same statement as the write, so no extra round
-- trip, and the PL/pgSQL one-call writes are covered too. Partitioned by day:
-- the hourly cron drops whole partitions older than HISTORY_RETENTION_DAYS
-- (workers/jobs/history.ts), never row by row. Not in db/schema.ts:
-- drizzle-kit cannot express a partitioned table.
create table record_history (
  id uuid not null default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  entity text not null,
  record_id uuid not null,
  op text not null check (op in ('update', 'delete')),
  version integer not null,
  data jsonb not null,
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);
--> statement-breakpoint
create index record_history_record_idx on record_history (user_id, entity, record_id, created_at desc);
--> statement-breakpoint
create index record_history_trash_idx on record_history (user_id, created_at desc) where op = 'delete';
--> statement-breakpoint
-- Catches rows for a day whose partition the cron has not made yet (never lost).
create table record_history_default partition of record_history default;
--> statement-breakpoint
-- Creates the daily partitions for p_days days from p_from (those that exist
-- are skipped; a day whose rows already sit in the default partition stays
-- there). Returns how many it created.
create or replace function continuum_history_partitions(p_from date, p_days int) returns int
language plpgsql volatile as $$
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
select continuum_history_partitions((now() at time zone 'UTC')::date - 1, 9);
--> statement-breakpoint
create or replace function continuum_keep_history() returns trigger
language plpgsql volatile as $$
begin
  -- Deleting an account cascades through its records: nothing to keep then.
  if not exists (select 1 from users where id = OLD.user_id) then
    return null;
  end if;
  -- 'search' is a generated tsvector (references): derived, not worth keeping.
  insert into record_history (user_id, entity, record_id, op, version, data)
    values (OLD.user_id, TG_ARGV[0], OLD.id, lower(TG_OP), OLD.version, to_jsonb(OLD) - 'search');
  return null;
end
$$;
--> statement-breakpoint
create trigger todos_history after update or delete on todos
  for each row execute function continuum_keep_history('todo');
--> statement-breakpoint
create trigger inbox_items_history after update or delete on inbox_items
  for each row execute function continuum_keep_history('inbox_item');
--> statement-breakpoint
create trigger reference_items_history after update or delete on reference_items
  for each row execute function continuum_keep_history('reference');
