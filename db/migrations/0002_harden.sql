-- Hand-edited after drizzle-kit: it can't name the old primary keys (Postgres' default <table>_pkey).
ALTER TABLE "focus_tracks" DROP CONSTRAINT "focus_tracks_library_id_focus_libraries_id_fk";
--> statement-breakpoint
ALTER TABLE "focus_tracks" DROP CONSTRAINT "focus_tracks_audio_id_audio_files_id_fk";
--> statement-breakpoint
ALTER TABLE "reference_items" DROP CONSTRAINT "reference_items_audio_id_audio_files_id_fk";
--> statement-breakpoint
DROP INDEX "audio_uploads_audio_key";--> statement-breakpoint
ALTER TABLE "audio_files" DROP CONSTRAINT "audio_files_pkey";--> statement-breakpoint
ALTER TABLE "focus_libraries" DROP CONSTRAINT "focus_libraries_pkey";--> statement-breakpoint
ALTER TABLE "focus_sessions" DROP CONSTRAINT "focus_sessions_pkey";--> statement-breakpoint
ALTER TABLE "focus_tracks" DROP CONSTRAINT "focus_tracks_pkey";--> statement-breakpoint
ALTER TABLE "inbox_items" DROP CONSTRAINT "inbox_items_pkey";--> statement-breakpoint
ALTER TABLE "reference_items" DROP CONSTRAINT "reference_items_pkey";--> statement-breakpoint
ALTER TABLE "settings" DROP CONSTRAINT "settings_pkey";--> statement-breakpoint
ALTER TABLE "audio_files" ADD CONSTRAINT "audio_files_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "focus_libraries" ADD CONSTRAINT "focus_libraries_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "focus_sessions" ADD CONSTRAINT "focus_sessions_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "focus_tracks" ADD CONSTRAINT "focus_tracks_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "inbox_items" ADD CONSTRAINT "inbox_items_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "settings" ADD CONSTRAINT "settings_user_id_id_pk" PRIMARY KEY("user_id","id");--> statement-breakpoint
ALTER TABLE "audio_files" ADD COLUMN "r2_key" text;--> statement-breakpoint
ALTER TABLE "audio_uploads" ADD COLUMN "r2_key" text;--> statement-breakpoint
ALTER TABLE "focus_tracks" ADD CONSTRAINT "focus_tracks_user_id_library_id_focus_libraries_user_id_id_fk" FOREIGN KEY ("user_id","library_id") REFERENCES "public"."focus_libraries"("user_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "focus_tracks" ADD CONSTRAINT "focus_tracks_user_id_audio_id_audio_files_user_id_id_fk" FOREIGN KEY ("user_id","audio_id") REFERENCES "public"."audio_files"("user_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_user_id_audio_id_audio_files_user_id_id_fk" FOREIGN KEY ("user_id","audio_id") REFERENCES "public"."audio_files"("user_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audio_uploads_audio_key" ON "audio_uploads" USING btree ("user_id","audio_id");