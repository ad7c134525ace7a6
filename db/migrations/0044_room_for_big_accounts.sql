-- Room for big accounts (issue 22): the quotas of 0014 were below the heaviest
-- real use the issue names (three years of daily capture: 50 000 inbox items,
-- 10 000 references, 5 000 todos), so such an account could not add one more.
-- The numbers are QUOTAS in workers/protocol/rules.ts (tests/worker/quotas.test.ts
-- checks these triggers carry them). The check stays a count of the user's rows
-- in the insert's own statement: an index-only scan, ≈ 0.7 ms per 10 000 rows.
create or replace trigger quota_todos before insert on todos
  for each row execute function continuum_quota('10000', '', '', 'todos');
--> statement-breakpoint
create or replace trigger quota_inbox_items before insert on inbox_items
  for each row execute function continuum_quota('100000', '', '', 'inbox_items');
--> statement-breakpoint
create or replace trigger quota_reference_items before insert on reference_items
  for each row execute function continuum_quota('20000', '', '', 'references');
