-- Row-level security (issue 19): user scoping lives in Postgres, not only in each query.
-- Design and how a new table gets it: docs/ARCHITECTURE.md "Isolation in the database".
--
-- Roles (cluster-wide, created here if missing; NOLOGIN — deployment gives continuum_app a login, README "Deploy"):
--   continuum_app   the Worker's requests. Not the tables' owner, not a superuser: RLS applies to it.
--                   Sees and writes only rows whose user_id = continuum_uid(), the context set by the
--                   session check (continuum_session below) in the same database transaction.
--   continuum_jobs  cron jobs and the queue consumer (they work across users), and the owner of the
--                   narrow SECURITY DEFINER functions below. The Worker switches to it explicitly
--                   (`set local role`, db/client.ts `asJobs()`); continuum_app is a NOINHERIT member,
--                   so none of its rights leak into a request.
-- Migrations run as the tables' owner (locally the superuser `postgres`; on Neon the project owner).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'continuum_app') THEN
    CREATE ROLE continuum_app NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'continuum_jobs') THEN
    CREATE ROLE continuum_jobs NOLOGIN;
  END IF;
END
$$;--> statement-breakpoint
ALTER ROLE continuum_app NOINHERIT NOBYPASSRLS;--> statement-breakpoint
ALTER ROLE continuum_jobs NOBYPASSRLS;--> statement-breakpoint
GRANT continuum_jobs TO continuum_app;--> statement-breakpoint
-- The migrating role must be able to hand functions to continuum_jobs (Neon's owner has ADMIN on roles it created, not membership).
DO $$ BEGIN EXECUTE format('GRANT continuum_jobs TO %I', current_user); END $$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO continuum_app, continuum_jobs;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO continuum_app, continuum_jobs;--> statement-breakpoint
-- Tables later migrations create (as the same owner) get the same grants; their RLS comes from continuum_protect().
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO continuum_app, continuum_jobs;--> statement-breakpoint

-- The request's user: set (transaction-local) by continuum_session(); null → no rows.
CREATE OR REPLACE FUNCTION continuum_uid() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('continuum.user_id', true), '')::uuid $$;--> statement-breakpoint
-- Other users whose rows a transaction declared it writes (w.lockLogs([...]) in workers/sync/write.ts:
-- a like/remix moves the owner's counters and appends to the owner's change log).
CREATE OR REPLACE FUNCTION continuum_peers() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT coalesce(nullif(current_setting('continuum.peers', true), '')::uuid[], '{}') $$;--> statement-breakpoint

-- Everything a user-owned table needs: RLS enabled AND forced (the owner too; a Worker wrongly given the
-- owner's URL then sees nothing rather than everything), the own-rows policy for continuum_app, the
-- all-rows policy for continuum_jobs, and the grants. A new table with a user_id: one line in its migration,
--   SELECT continuum_protect('my_table');
-- (tests/worker/rls.test.ts fails, naming the table, until it has it).
CREATE OR REPLACE FUNCTION continuum_protect(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO continuum_app, continuum_jobs', t);
  EXECUTE format('DROP POLICY IF EXISTS own_rows ON %s', t);
  EXECUTE format('CREATE POLICY own_rows ON %s TO continuum_app USING (user_id = continuum_uid()) WITH CHECK (user_id = continuum_uid())', t);
  EXECUTE format('DROP POLICY IF EXISTS jobs_all ON %s', t);
  EXECUTE format('CREATE POLICY jobs_all ON %s TO continuum_jobs USING (true) WITH CHECK (true)', t);
END
$$;--> statement-breakpoint

SELECT continuum_protect(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped);--> statement-breakpoint

-- Explicit cross-user reads and writes, each as narrow as its feature:
-- public loops (the feed, a public loop by id, lineage, likes and remixes of them);
CREATE POLICY public_read ON loops FOR SELECT TO continuum_app USING (visibility = 'public');--> statement-breakpoint
-- a like/remix/delete moves counters (and parent links) on the loops of the users it declared;
CREATE POLICY peers_select ON loops FOR SELECT TO continuum_app USING (user_id = ANY (continuum_peers()));--> statement-breakpoint
CREATE POLICY peers_update ON loops FOR UPDATE TO continuum_app
  USING (user_id = ANY (continuum_peers())) WITH CHECK (user_id = ANY (continuum_peers()));--> statement-breakpoint
-- deleting a loop removes its likers' like rows (tombstones in their logs);
CREATE POLICY peers_select ON loop_likes FOR SELECT TO continuum_app USING (user_id = ANY (continuum_peers()));--> statement-breakpoint
CREATE POLICY peers_delete ON loop_likes FOR DELETE TO continuum_app USING (user_id = ANY (continuum_peers()));--> statement-breakpoint
-- …and appends the new counts to those users' change logs, dropping the entries a newer one supersedes
-- (a like storm collapses, 0016_collapse_likes.sql);
CREATE POLICY peers_append ON change_log FOR INSERT TO continuum_app WITH CHECK (user_id = ANY (continuum_peers()));--> statement-breakpoint
CREATE POLICY peers_select ON change_log FOR SELECT TO continuum_app USING (user_id = ANY (continuum_peers()));--> statement-breakpoint
CREATE POLICY peers_collapse ON change_log FOR DELETE TO continuum_app USING (user_id = ANY (continuum_peers()));--> statement-breakpoint
-- the catalog (items without an owner).
CREATE POLICY catalog_read ON market_items FOR SELECT TO continuum_app USING (user_id IS NULL);--> statement-breakpoint

-- Upload parts belong to an upload; they see through its policy.
ALTER TABLE audio_upload_parts ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE audio_upload_parts FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_rows ON audio_upload_parts TO continuum_app
  USING (EXISTS (SELECT 1 FROM audio_uploads u WHERE u.id = upload_id))
  WITH CHECK (EXISTS (SELECT 1 FROM audio_uploads u WHERE u.id = upload_id));--> statement-breakpoint
CREATE POLICY jobs_all ON audio_upload_parts TO continuum_jobs USING (true) WITH CHECK (true);--> statement-breakpoint

-- The session check that sets the context (workers/middleware/session.ts). SECURITY DEFINER (as
-- continuum_jobs) because no user is known before it: it finds the session by token hash (and, when
-- the token names its user, that user), sets continuum.user_id for the rest of the transaction, and
-- claims the Idempotency-Key. `refuse` raises CN401 / CN409 (continuum_refuse) so a batch it leads
-- never commits; otherwise no row = not signed in, and an unclaimed key comes back with what is stored.
CREATE OR REPLACE FUNCTION continuum_session(
  p_token_hash text, p_user uuid, p_key text, p_request_hash text, p_refuse boolean
) RETURNS TABLE (
  session_id uuid, kind text, scope text, last_seen_at timestamptz, expires_at timestamptz,
  id uuid, email text, username text, created_at timestamptz, change_seq bigint, change_floor bigint,
  claimed boolean, k_request_hash text, k_status integer, k_headers jsonb, k_body text, k_outcome jsonb, k_age_ms float8
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  s record;
  n integer := 0;
  kh text; ks integer; khd jsonb; kb text; ko jsonb; ka float8;
BEGIN
  SELECT x.id AS sid, x.kind, x.scope, x.last_seen_at, x.expires_at, u.id, u.email, u.username, u.created_at, u.change_seq, u.change_floor
    INTO s
    FROM sessions x JOIN users u ON u.id = x.user_id
   WHERE x.token_hash = p_token_hash AND x.expires_at > now() AND (p_user IS NULL OR u.id = p_user)
   LIMIT 1;
  IF NOT FOUND THEN
    IF p_refuse THEN PERFORM continuum_refuse('CN401', 'session not valid'); END IF;
    RETURN;
  END IF;
  PERFORM set_config('continuum.user_id', s.id::text, true);
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES (s.id, p_key, p_request_hash) ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
      IF p_refuse THEN PERFORM continuum_refuse('CN409', 'idempotency key used before'); END IF;
      SELECT i.request_hash, i.status, i.headers, i.body, i.outcome, extract(epoch FROM now() - i.created_at) * 1000
        INTO kh, ks, khd, kb, ko, ka FROM idempotency_keys i WHERE i.user_id = s.id AND i.key = p_key;
    END IF;
  END IF;
  RETURN QUERY SELECT s.sid, s.kind, s.scope, s.last_seen_at, s.expires_at, s.id, s.email, s.username, s.created_at,
    s.change_seq, s.change_floor, n > 0, kh, ks, khd, kb, ko, ka;
END
$$;--> statement-breakpoint
ALTER FUNCTION continuum_session(text, uuid, text, text, boolean) OWNER TO continuum_jobs;--> statement-breakpoint

-- Whose change logs deleting one's own loop touches: its parent's owner, its remixes' owners and its
-- likers (remixes may be private, likes are the likers' rows; only user ids come back).
CREATE OR REPLACE FUNCTION continuum_loop_relations(p_loop uuid)
RETURNS TABLE (parent_owner uuid, remix_owners uuid[], likers uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT (SELECT p.user_id FROM loops p WHERE p.id = l.parent_loop_id),
         (SELECT array_agg(DISTINCT r.user_id) FROM loops r WHERE r.parent_loop_id = l.id),
         (SELECT array_agg(k.user_id) FROM loop_likes k WHERE k.loop_id = l.id)
  FROM loops l WHERE l.id = p_loop AND l.user_id = continuum_uid()
$$;--> statement-breakpoint
ALTER FUNCTION continuum_loop_relations(uuid) OWNER TO continuum_jobs;--> statement-breakpoint

-- A readable loop's ancestor chain as ids and depths; the caller joins loops under its own policies,
-- so ancestors it may not read drop out while the walk still passes through them.
CREATE OR REPLACE FUNCTION continuum_loop_ancestors(p_loop uuid)
RETURNS TABLE (id uuid, depth integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH RECURSIVE anc (id, parent_loop_id, depth) AS (
    SELECT l.id, l.parent_loop_id, 0 FROM loops l
     WHERE l.id = p_loop AND (l.visibility = 'public' OR l.user_id = continuum_uid())
    UNION ALL
    SELECT l.id, l.parent_loop_id, a.depth + 1 FROM loops l JOIN anc a ON l.id = a.parent_loop_id WHERE a.depth < 1000)
  SELECT anc.id, anc.depth FROM anc WHERE anc.depth > 0
$$;--> statement-breakpoint
ALTER FUNCTION continuum_loop_ancestors(uuid) OWNER TO continuum_jobs;--> statement-breakpoint

-- Market recommendations count other users' purchases: only counts come back, never rows.
-- Co-buyers of an item: other users who bought it and one of `p_owned`; `via` = which of those.
CREATE OR REPLACE FUNCTION continuum_market_co_buyers(p_owned uuid[])
RETURNS TABLE (id uuid, buyers bigint, via uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT b.item_id, count(DISTINCT b.user_id), array_agg(DISTINCT a.item_id)
  FROM user_market_purchases a
  JOIN user_market_purchases b ON b.user_id = a.user_id AND b.item_id <> a.item_id AND b.refunded_at IS NULL
  WHERE a.item_id = ANY (p_owned) AND a.user_id <> continuum_uid() AND a.refunded_at IS NULL
  GROUP BY b.item_id
$$;--> statement-breakpoint
ALTER FUNCTION continuum_market_co_buyers(uuid[]) OWNER TO continuum_jobs;--> statement-breakpoint
CREATE OR REPLACE FUNCTION continuum_market_buyers(p_items uuid[])
RETURNS TABLE (id uuid, buyers bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p.item_id, count(DISTINCT p.user_id) FROM user_market_purchases p
  WHERE p.refunded_at IS NULL AND p.item_id = ANY (p_items) GROUP BY p.item_id
$$;--> statement-breakpoint
ALTER FUNCTION continuum_market_buyers(uuid[]) OWNER TO continuum_jobs;--> statement-breakpoint
-- A custom reward's client-chosen id must not be a catalog item's or another user's (item ids are global).
CREATE OR REPLACE FUNCTION continuum_market_item_taken(p_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM market_items i WHERE i.id = p_id AND i.user_id IS DISTINCT FROM continuum_uid())
$$;--> statement-breakpoint
ALTER FUNCTION continuum_market_item_taken(uuid) OWNER TO continuum_jobs;--> statement-breakpoint
-- continuum_like (0016_collapse_likes.sql), unchanged but for declaring the loop's owner as this
-- transaction's peer, as w.lockLogs() does for the TypeScript write path.
create or replace function continuum_like(p_user uuid, p_loop uuid, p_like boolean, p_key text)
returns jsonb
language plpgsql volatile as $$
declare
  l loops;
  lk loop_likes;
  changes jsonb;
begin
  select * into l from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  perform 1 from users where id in (p_user, l.user_id) order by id for no key update;
  -- Row-level security (0017): the owner's loop counter and change log are this call's to write.
  perform set_config('continuum.peers', format('{%s}', l.user_id), true);
  if p_like then
    insert into loop_likes (user_id, loop_id)
      select p_user, id from loops where id = p_loop and (visibility = 'public' or user_id = p_user)
      on conflict do nothing
      returning * into lk;
  else
    delete from loop_likes where user_id = p_user and loop_id = p_loop returning * into lk;
  end if;
  if lk.loop_id is not null then
    changes := jsonb_build_array(continuum_collapse(continuum_log(p_user, 'loop_like',
      case when p_like then 'upsert' else 'delete' end,
      to_jsonb(lk) || jsonb_build_object('id', lk.loop_id, 'version', 1), p_key)));
    update loops set likes_count = likes_count + case when p_like then 1 else -1 end
      where id = p_loop returning * into l;
    if found then
      changes := changes || jsonb_build_array(continuum_collapse(continuum_log(l.user_id, 'loop', 'upsert',
        to_jsonb(l) - 'hot_score', case when l.user_id = p_user then p_key end)));
      return jsonb_build_object('liked', p_like, 'likes_count', l.likes_count, 'changes', changes);
    end if;
  end if;
  select * into l from loops where id = p_loop and (visibility = 'public' or user_id = p_user);
  if not found then perform continuum_fail('loop_not_found'); end if;
  return jsonb_build_object('liked', exists (select 1 from loop_likes where user_id = p_user and loop_id = p_loop),
    'likes_count', l.likes_count, 'changes', coalesce(changes, '[]'::jsonb));
end
$$;
--> statement-breakpoint
-- Record history (0017) is partitioned by day; the hourly job (as continuum_jobs) makes and drops the
-- partitions, which only the tables' owner may do: two narrow SECURITY DEFINER functions (the owner's).
-- continuum_history_partitions, unchanged but for that and for protecting each new partition:
create or replace function continuum_history_partitions(p_from date, p_days int) returns int
language plpgsql volatile security definer set search_path = public, pg_temp as $$
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
CREATE OR REPLACE FUNCTION continuum_history_drop(p_name text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- Only a daily partition of record_history, by name and by catalog.
  IF p_name !~ '^record_history_p[0-9]{8}$' OR NOT EXISTS (
    SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'record_history'::regclass AND c.relname = p_name) THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS %I', p_name);
  RETURN true;
END
$$;
