-- A song's timeline names only its owner's loops, checked by the database in the write's own statement
-- (it was an interactive transaction in the Worker: a connection, the user-row lock, the check, the write).
-- The owner's row is locked first, as continuum_delete_loop locks it before it refuses a loop in use; the
-- check is the next statement of this (volatile) function, so it reads with a snapshot taken after the
-- lock: a loop deleted by a transaction that held the lock is seen as gone. Either the delete sees the
-- song (409 loop_in_use) or the song sees the loop gone (CNAPP unknown_loop:<ids>, 422 in the Worker).
create or replace function continuum_song_own_loops() returns trigger
language plpgsql volatile as $$
declare
  missing text;
begin
  if tg_op = 'UPDATE' and new.timeline is not distinct from old.timeline then return new; end if;
  if new.timeline is null or jsonb_array_length(new.timeline) = 0 then return new; end if;
  perform 1 from users where id = new.user_id for no key update;
  select string_agg(distinct e->>'loop_id', ',') into missing
    from jsonb_array_elements(new.timeline) e
   where not exists (select 1 from loops l where l.user_id = new.user_id and l.id = (e->>'loop_id')::uuid);
  if missing is not null then perform continuum_fail('unknown_loop:' || missing); end if;
  return new;
end
$$;
--> statement-breakpoint
create trigger songs_own_loops before insert or update of timeline on songs
  for each row execute function continuum_song_own_loops();
