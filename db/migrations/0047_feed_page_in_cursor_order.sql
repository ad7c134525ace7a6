-- A page of the change feed read in cursor order through the primary key, whatever the user's size
-- (issue #22). Under row-level security the Worker's query carries the policies' quals, ORed
-- (`user_id = continuum_uid() OR user_id = ANY (continuum_peers())`): the planner cannot evaluate
-- them, multiplies their default selectivity into the estimate (≈ 1 row for any user) and picks a
-- BitmapOr of the two, which returns rows unordered — so it read and sorted the user's whole log to
-- keep 101 rows. At the large profile the big account's first page took 183–622 ms (85 734 rows read)
-- where a bench user's took under 1 ms. Without bitmap scans, the only index path left is the
-- primary key's range in order, which the LIMIT stops after the page. SECURITY INVOKER: the
-- policies still apply to every row it reads.
CREATE OR REPLACE FUNCTION continuum_changes_after(p_user uuid, p_since bigint, p_limit int)
RETURNS SETOF change_log
LANGUAGE sql STABLE SET enable_bitmapscan = off AS $$
  SELECT * FROM change_log WHERE user_id = p_user AND seq > p_since ORDER BY seq LIMIT p_limit
$$;
