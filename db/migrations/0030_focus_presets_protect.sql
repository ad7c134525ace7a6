-- Focus presets (0029): row-level security like every user table, and their quota
-- (QUOTAS.focus_presets in workers/protocol/rules.ts; the trigger function is 0014's).
SELECT continuum_protect('focus_presets');
--> statement-breakpoint
create trigger quota_focus_presets before insert on focus_presets
  for each row execute function continuum_quota('50', '', '', 'focus_presets');
