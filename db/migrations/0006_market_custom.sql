-- Market: what drizzle's schema cannot say. Re-appliable by file (idempotent).

-- The ledger is append-only: a mistake is fixed by a correcting row, never by
-- editing history. Only a cascade from a deleted account may remove rows.
CREATE OR REPLACE FUNCTION market_transactions_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'market_transactions is append-only (% refused)', TG_OP USING ERRCODE = 'P0001';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DROP TRIGGER IF EXISTS market_transactions_append_only ON market_transactions;
--> statement-breakpoint
CREATE TRIGGER market_transactions_append_only
  BEFORE UPDATE OR DELETE ON market_transactions
  FOR EACH ROW EXECUTE FUNCTION market_transactions_append_only();
--> statement-breakpoint

-- The global catalog. Fixed ids so every environment (and the web app's
-- effects) agree; the slug is what settings.accent and the soundtrack picker name.
INSERT INTO market_items (id, slug, name, description, price, tags, consumable, effect) VALUES
  ('00000000-0000-4000-8000-00000000a001', 'theme-forest', 'Forest accent', 'A calm green accent colour for the whole app.', 150, '{theme,nature}', false, '{"kind":"accent","accent":"forest"}'),
  ('00000000-0000-4000-8000-00000000a002', 'theme-ocean', 'Ocean accent', 'A deep teal accent colour for the whole app.', 150, '{theme,water}', false, '{"kind":"accent","accent":"ocean"}'),
  ('00000000-0000-4000-8000-00000000a003', 'theme-sunset', 'Sunset accent', 'A warm orange accent colour for the whole app.', 200, '{theme,warm}', false, '{"kind":"accent","accent":"sunset"}'),
  ('00000000-0000-4000-8000-00000000a004', 'theme-rose', 'Rose accent', 'A soft rose accent colour for the whole app.', 200, '{theme,warm}', false, '{"kind":"accent","accent":"rose"}'),
  ('00000000-0000-4000-8000-00000000b001', 'sound-brown', 'Brown noise', 'Deep, steady noise for the focus soundtrack, generated in your browser.', 120, '{soundscape,noise}', false, '{"kind":"soundscape","sound":"brown"}'),
  ('00000000-0000-4000-8000-00000000b002', 'sound-rain', 'Forest rain', 'Rain on leaves with the odd heavier drop, generated in your browser.', 180, '{soundscape,nature,water}', false, '{"kind":"soundscape","sound":"rain"}'),
  ('00000000-0000-4000-8000-00000000b003', 'sound-cafe', 'Café hum', 'The murmur of a busy café and a cup now and then, generated in your browser.', 180, '{soundscape,warm,city}', false, '{"kind":"soundscape","sound":"cafe"}'),
  ('00000000-0000-4000-8000-00000000c001', 'treat-coffee', 'Coffee break', 'Ten minutes and a good cup.', 30, '{treat,break,warm}', true, NULL),
  ('00000000-0000-4000-8000-00000000c002', 'treat-stretch', 'Stretch break', 'Stand up, stretch, drink some water.', 15, '{treat,break,health}', true, NULL),
  ('00000000-0000-4000-8000-00000000c003', 'treat-walk', 'Walk outside', 'A twenty-minute walk, phone in pocket.', 40, '{treat,break,nature}', true, NULL),
  ('00000000-0000-4000-8000-00000000c004', 'treat-episode', 'Guilt-free episode', 'One episode of whatever you are watching.', 80, '{treat,fun}', true, NULL),
  ('00000000-0000-4000-8000-00000000c005', 'treat-snack', 'A favourite snack', 'You earned it.', 25, '{treat,fun}', true, NULL),
  ('00000000-0000-4000-8000-00000000c006', 'treat-early-finish', 'Finish early', 'Call it a day an hour early.', 250, '{treat,break}', true, NULL)
ON CONFLICT (id) DO NOTHING;
--> statement-breakpoint

-- Accounts created before the market existed get their welcome grant now,
-- logged in their change feeds like any write (so their devices sync it).
DO $$
DECLARE
  u record;
  w user_wallet;
  t market_transactions;
  seq bigint;
BEGIN
  FOR u IN SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM user_wallet WHERE user_id = users.id) LOOP
    INSERT INTO user_wallet (id, user_id, balance, lifetime_earned)
      VALUES (gen_random_uuid(), u.id, 100, 100) RETURNING * INTO w;
    INSERT INTO market_transactions (id, user_id, amount, balance_after, kind, source_type, source_id, description)
      VALUES (gen_random_uuid(), u.id, 100, 100, 'earn', 'welcome', u.id, 'Welcome to the market')
      RETURNING * INTO t;
    UPDATE users SET change_seq = change_seq + 2 WHERE id = u.id RETURNING change_seq INTO seq;
    INSERT INTO change_log (user_id, seq, entity, record_id, op, version, data) VALUES
      (u.id, seq - 1, 'wallet', w.id, 'upsert', 1, to_jsonb(w)),
      (u.id, seq, 'market_transaction', t.id, 'upsert', 1, to_jsonb(t));
  END LOOP;
END
$$;
