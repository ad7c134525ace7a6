-- Reference search that ignores accents ("cafe" finds "Café") and covers tags
-- and the category. unaccent() and array_to_string() are only STABLE (their
-- dictionary or output functions could change), so a generated column can't
-- call them; these wrappers pin the dictionary and are declared IMMUTABLE —
-- the usual way to index unaccented text.
CREATE EXTENSION IF NOT EXISTS unaccent;--> statement-breakpoint
CREATE OR REPLACE FUNCTION continuum_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN public.unaccent('public.unaccent'::regdictionary, $1);--> statement-breakpoint
CREATE OR REPLACE FUNCTION continuum_search_words(title text, tags text[], category text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN continuum_unaccent(coalesce(title, '') || ' ' || array_to_string(tags, ' ') || ' ' || coalesce(category, ''));
