-- Length CHECKs from LIMITS (db/schema.ts lengthCheck). Every API write already kept these limits, but an
-- import (POST /api/import) was checked against the wire schema only, so rows over a limit may exist: bring
-- them within it first, so the constraints below hold for every row (VALID, not NOT VALID, so an update of an
-- old row can't fail on a field it didn't touch).
UPDATE "inbox_items" SET "title" = left("title", 500) WHERE char_length("title") > 500;--> statement-breakpoint
UPDATE "inbox_items" SET "title" = '(untitled)' WHERE char_length("title") = 0;--> statement-breakpoint
UPDATE "inbox_items" SET "description" = left("description", 10000) WHERE char_length("description") > 10000;--> statement-breakpoint
UPDATE "inbox_items" SET "tags" = "tags"[1:20] WHERE cardinality("tags") > 20;--> statement-breakpoint
UPDATE "reference_items" SET "title" = left("title", 500) WHERE char_length("title") > 500;--> statement-breakpoint
UPDATE "reference_items" SET "title" = '(untitled)' WHERE char_length("title") = 0;--> statement-breakpoint
UPDATE "reference_items" SET "content" = left("content", 100000) WHERE char_length("content") > 100000;--> statement-breakpoint
UPDATE "reference_items" SET "url" = NULL WHERE char_length("url") > 2048;--> statement-breakpoint
UPDATE "reference_items" SET "category" = NULLIF(left("category", 100), '') WHERE char_length("category") NOT BETWEEN 1 AND 100;--> statement-breakpoint
UPDATE "reference_items" SET "tags" = "tags"[1:20] WHERE cardinality("tags") > 20;--> statement-breakpoint
ALTER TABLE "inbox_items" ALTER COLUMN "tags" SET DEFAULT '{}';--> statement-breakpoint
ALTER TABLE "reference_items" ALTER COLUMN "tags" SET DEFAULT '{}';--> statement-breakpoint
ALTER TABLE "inbox_items" ADD CONSTRAINT "inbox_items_title_length" CHECK (char_length("inbox_items"."title") between 1 and 500);--> statement-breakpoint
ALTER TABLE "inbox_items" ADD CONSTRAINT "inbox_items_description_length" CHECK (char_length("inbox_items"."description") <= 10000);--> statement-breakpoint
ALTER TABLE "inbox_items" ADD CONSTRAINT "inbox_items_tags_count" CHECK (cardinality("inbox_items"."tags") <= 20);--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_title_length" CHECK (char_length("reference_items"."title") between 1 and 500);--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_content_length" CHECK (char_length("reference_items"."content") <= 100000);--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_url_length" CHECK (char_length("reference_items"."url") <= 2048);--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_category_length" CHECK (char_length("reference_items"."category") between 1 and 100);--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_tags_count" CHECK (cardinality("reference_items"."tags") <= 20);