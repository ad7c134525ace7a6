-- Idempotency keys leave by dropping a day's partition, not row by row (issue #22,
-- docs/SCALING.md: each expired key cost ~5 KB of WAL, its stored response
-- included, plus the vacuum behind it). Partitioned by `claimed_on`, the UTC day
-- of the claim (set once; a renewed claim keeps its day). A key must be unique
-- per user across days, but a partitioned table's primary key must include the
-- partition key: the claim (continuum_session below) takes a per-(user, key)
-- advisory lock and looks in every partition before inserting. The expiry job
-- (workers/jobs/prune.ts) drops a day once it ended IDEMPOTENCY_TTL_HOURS ago,
-- so a key lives 24–48 h (≥ the TTL, as before). Keys are ephemeral: the rows
-- of the old table are copied over (at a million users, ~30 M rows; see
-- docs/SCALING.md for a deploy that skips the copy).
-- drizzle-kit cannot express a partitioned table: db/schema.ts states the columns and the key.
ALTER TABLE idempotency_keys RENAME TO idempotency_keys_unpartitioned;--> statement-breakpoint
ALTER TABLE idempotency_keys_unpartitioned RENAME CONSTRAINT idempotency_keys_user_id_key_pk TO idempotency_keys_unpartitioned_pk;--> statement-breakpoint
ALTER INDEX idempotency_keys_created_idx RENAME TO idempotency_keys_unpartitioned_created_idx;--> statement-breakpoint
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  status integer,
  headers jsonb,
  body text,
  outcome jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  claimed_on date NOT NULL DEFAULT ((now() at time zone 'UTC')::date),
  CONSTRAINT idempotency_keys_user_id_key_claimed_on_pk PRIMARY KEY (user_id, key, claimed_on)
) PARTITION BY RANGE (claimed_on);--> statement-breakpoint
-- No foreign key to users: each partition would carry one, so making or dropping a day would lock
-- `users` as well, and writers take the two tables in both orders (the claim's look at users, then its
-- insert here, then the write's change_seq bump): a deadlock, which tests/worker/idempotency-days.test.ts
-- found. The DDL now locks this table only. An account's keys go with it through a trigger instead.
CREATE OR REPLACE FUNCTION continuum_drop_user_keys() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  DELETE FROM idempotency_keys WHERE user_id = OLD.id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER users_drop_keys AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION continuum_drop_user_keys();--> statement-breakpoint
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys USING btree (created_at);--> statement-breakpoint
-- Catches a day whose partition the cron has not made yet (never lost; pruned row by row).
CREATE TABLE idempotency_keys_default PARTITION OF idempotency_keys DEFAULT;--> statement-breakpoint
SELECT continuum_protect('idempotency_keys');--> statement-breakpoint
SELECT continuum_protect('idempotency_keys_default');--> statement-breakpoint
-- The daily partitions for p_days days from p_from (existing ones skipped; a day whose rows already
-- sit in the default partition stays there). The owner's, for the jobs role (as record history, 0018).
-- Both lock the parent first (with its partitions, the order every statement on the table takes
-- them in) and give up after 5 s rather than queue every claim behind a long transaction: partitions
-- are made days ahead, and the next hourly run tries again.
CREATE OR REPLACE FUNCTION continuum_key_partitions(p_from date, p_days int) RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
  d date;
  made int := 0;
BEGIN
  FOR i IN 0 .. p_days - 1 LOOP
    d := p_from + i;
    IF to_regclass('idempotency_keys_p' || to_char(d, 'YYYYMMDD')) IS NULL THEN
      LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE;
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF idempotency_keys FOR VALUES FROM (%L) TO (%L)',
          'idempotency_keys_p' || to_char(d, 'YYYYMMDD'), d, d + 1);
        PERFORM continuum_protect(('idempotency_keys_p' || to_char(d, 'YYYYMMDD'))::regclass);
        made := made + 1;
      EXCEPTION WHEN check_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
  RETURN made;
END
$$;--> statement-breakpoint
-- Drops one daily partition of idempotency_keys, by name and by catalog (locks as above); false
-- when it waited 5 s for running transactions (the next hourly run drops it).
CREATE OR REPLACE FUNCTION continuum_key_partition_drop(p_name text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
BEGIN
  IF p_name !~ '^idempotency_keys_p[0-9]{8}$' OR NOT EXISTS (
    SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'idempotency_keys'::regclass AND c.relname = p_name) THEN
    RETURN false;
  END IF;
  LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE;
  EXECUTE format('DROP TABLE IF EXISTS %I', p_name);
  RETURN true;
EXCEPTION WHEN lock_not_available THEN
  RETURN false;
END
$$;--> statement-breakpoint
SELECT continuum_key_partitions((now() at time zone 'UTC')::date - 2, 6);--> statement-breakpoint
INSERT INTO idempotency_keys (user_id, key, request_hash, status, headers, body, outcome, created_at, claimed_on)
  SELECT user_id, key, request_hash, status, headers, body, outcome, created_at, (created_at at time zone 'UTC')::date
  FROM idempotency_keys_unpartitioned;--> statement-breakpoint
DROP TABLE idempotency_keys_unpartitioned;--> statement-breakpoint
-- The session check's claim (0018), now across the partitions: a lock per (user, key) serializes
-- concurrent first uses (the second waits for the first's transaction, as it waited on the unique
-- index before), and the look after it sees what the first committed (read committed: each
-- statement of this function takes a fresh snapshot). Otherwise unchanged.
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
    PERFORM pg_advisory_xact_lock(hashtextextended(s.id::text || ':' || p_key, 0));
    IF NOT EXISTS (SELECT 1 FROM idempotency_keys i WHERE i.user_id = s.id AND i.key = p_key) THEN
      INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES (s.id, p_key, p_request_hash) ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF n = 0 THEN
      IF p_refuse THEN PERFORM continuum_refuse('CN409', 'idempotency key used before'); END IF;
      SELECT i.request_hash, i.status, i.headers, i.body, i.outcome, extract(epoch FROM now() - i.created_at) * 1000
        INTO kh, ks, khd, kb, ko, ka FROM idempotency_keys i WHERE i.user_id = s.id AND i.key = p_key
        ORDER BY i.claimed_on DESC LIMIT 1;
    END IF;
  END IF;
  RETURN QUERY SELECT s.sid, s.kind, s.scope, s.last_seen_at, s.expires_at, s.id, s.email, s.username, s.created_at,
    s.change_seq, s.change_floor, n > 0, kh, ks, khd, kb, ko, ka;
END
$$;--> statement-breakpoint
ALTER FUNCTION continuum_session(text, uuid, text, text, boolean) OWNER TO continuum_jobs;
