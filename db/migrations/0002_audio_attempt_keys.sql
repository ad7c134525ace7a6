ALTER TABLE "audio_files" ADD COLUMN "r2_key" text;--> statement-breakpoint
ALTER TABLE "audio_uploads" ADD COLUMN "r2_key" text;