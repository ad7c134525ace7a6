CREATE TABLE "audio_files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"format" text NOT NULL,
	"size" bigint NOT NULL,
	"checksum" text NOT NULL,
	"etag" text NOT NULL,
	"duration_s" real
);
--> statement-breakpoint
CREATE TABLE "audio_upload_parts" (
	"upload_id" uuid NOT NULL,
	"part_number" integer NOT NULL,
	"etag" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	CONSTRAINT "audio_upload_parts_upload_id_part_number_pk" PRIMARY KEY("upload_id","part_number")
);
--> statement-breakpoint
CREATE TABLE "audio_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"audio_id" uuid NOT NULL,
	"r2_upload_id" text NOT NULL,
	"filename" text NOT NULL,
	"size" bigint NOT NULL,
	"format" text,
	"content_type" text,
	"duration_s" real,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "focus_libraries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"favorite" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "focus_tracks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"library_id" uuid NOT NULL,
	"title" text NOT NULL,
	"audio_id" uuid,
	"url" text,
	"duration_s" real,
	"position" integer NOT NULL,
	CONSTRAINT "focus_tracks_one_source" CHECK (("focus_tracks"."audio_id" is null) <> ("focus_tracks"."url" is null))
);
--> statement-breakpoint
CREATE TABLE "reference_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"title" text NOT NULL,
	"content" text DEFAULT '' NOT NULL,
	"url" text,
	"category" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"pinned" boolean DEFAULT false NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"audio_id" uuid,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', content), 'B')) STORED NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audio_files" ADD CONSTRAINT "audio_files_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audio_upload_parts" ADD CONSTRAINT "audio_upload_parts_upload_id_audio_uploads_id_fk" FOREIGN KEY ("upload_id") REFERENCES "public"."audio_uploads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audio_uploads" ADD CONSTRAINT "audio_uploads_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "focus_libraries" ADD CONSTRAINT "focus_libraries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "focus_tracks" ADD CONSTRAINT "focus_tracks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "focus_tracks" ADD CONSTRAINT "focus_tracks_library_id_focus_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."focus_libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "focus_tracks" ADD CONSTRAINT "focus_tracks_audio_id_audio_files_id_fk" FOREIGN KEY ("audio_id") REFERENCES "public"."audio_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reference_items" ADD CONSTRAINT "reference_items_audio_id_audio_files_id_fk" FOREIGN KEY ("audio_id") REFERENCES "public"."audio_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audio_files_user_created_idx" ON "audio_files" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "audio_uploads_audio_key" ON "audio_uploads" USING btree ("audio_id");--> statement-breakpoint
CREATE INDEX "audio_uploads_created_idx" ON "audio_uploads" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "focus_libraries_user_idx" ON "focus_libraries" USING btree ("user_id","favorite","created_at");--> statement-breakpoint
CREATE INDEX "focus_tracks_library_position_idx" ON "focus_tracks" USING btree ("library_id","position");--> statement-breakpoint
CREATE INDEX "focus_tracks_audio_idx" ON "focus_tracks" USING btree ("audio_id");--> statement-breakpoint
CREATE INDEX "reference_items_user_created_idx" ON "reference_items" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "reference_items_search_idx" ON "reference_items" USING gin ("search");--> statement-breakpoint
CREATE INDEX "reference_items_tags_idx" ON "reference_items" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "reference_items_audio_idx" ON "reference_items" USING btree ("audio_id");