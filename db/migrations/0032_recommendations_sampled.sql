-- Recommendations at size (issue #22): co-buyers and buyers were counted over EVERY purchase of
-- the items involved, so a request's cost grew with an item's buyers (a catalog item bought by
-- 100 000 users meant 100 000 rows per request). Both now read a bounded sample through
-- user_market_purchases_item_recent_idx (0031): the item's most recent non-refunded purchases.
-- Co-buyers: among the 100 most recent purchases (by others) of each item the user owns, the
-- buyers' other items. Buyers: distinct buyers among the item's 200 most recent purchases, and
-- whether the sample was full (the reason then says "200+", never a made-up exact count).
CREATE OR REPLACE FUNCTION continuum_market_co_buyers(p_owned uuid[])
RETURNS TABLE (id uuid, buyers bigint, via uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT b.item_id, count(DISTINCT b.user_id), array_agg(DISTINCT a.item_id)
  FROM (SELECT DISTINCT o FROM unnest(p_owned) o) owned(item_id)
  CROSS JOIN LATERAL (
    SELECT x.user_id, x.item_id FROM user_market_purchases x
    WHERE x.item_id = owned.item_id AND x.refunded_at IS NULL AND x.user_id <> continuum_uid()
    ORDER BY x.created_at DESC LIMIT 100) a
  JOIN user_market_purchases b ON b.user_id = a.user_id AND b.item_id <> a.item_id AND b.refunded_at IS NULL
  GROUP BY b.item_id
$$;--> statement-breakpoint
DROP FUNCTION continuum_market_buyers(uuid[]);--> statement-breakpoint
CREATE FUNCTION continuum_market_buyers(p_items uuid[])
RETURNS TABLE (id uuid, buyers bigint, sampled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.item_id, s.buyers, s.purchases >= 200
  FROM (SELECT DISTINCT x FROM unnest(p_items) x) i(item_id)
  CROSS JOIN LATERAL (
    SELECT count(DISTINCT r.user_id) AS buyers, count(*) AS purchases
    FROM (SELECT p.user_id FROM user_market_purchases p
          WHERE p.item_id = i.item_id AND p.refunded_at IS NULL
          ORDER BY p.created_at DESC LIMIT 200) r) s
  WHERE s.buyers > 0
$$;--> statement-breakpoint
ALTER FUNCTION continuum_market_buyers(uuid[]) OWNER TO continuum_jobs;
