-- The snapshot's page (GET /api/sync/snapshot, newest first) the same way as the feed's (0047): under
-- row-level security the planner expected one row and read the user's whole log through a BitmapOr,
-- then sorted it — 317 ms for the big account's first page at the large profile (85 734 rows read
-- for a page of 1). Without bitmap scans the primary key's range is read backwards and the LIMIT
-- stops it. SECURITY INVOKER: the policies still apply.
CREATE OR REPLACE FUNCTION continuum_changes_before(p_user uuid, p_before bigint, p_after bigint, p_limit int)
RETURNS SETOF change_log
LANGUAGE sql STABLE SET enable_bitmapscan = off AS $$
  SELECT * FROM change_log WHERE user_id = p_user AND seq < p_before AND seq > p_after ORDER BY seq DESC LIMIT p_limit
$$;
