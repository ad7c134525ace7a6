ALTER TABLE "reference_items" drop column "search";--> statement-breakpoint
ALTER TABLE "reference_items" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', continuum_search_words(title, tags, category)), 'A') || setweight(to_tsvector('simple', continuum_unaccent(content)), 'B')) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "inbox_items" ADD COLUMN "done_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inbox_items" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "device_name" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_device_name_length" CHECK (char_length("sessions"."device_name") between 1 and 60);--> statement-breakpoint
-- Dropping the column dropped its index: the same index again (drizzle-kit sees no index change).
CREATE INDEX "reference_items_search_idx" ON "reference_items" USING gin ("search");
