CREATE TABLE "loop_likes" (
	"user_id" uuid NOT NULL,
	"loop_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loop_likes_user_id_loop_id_pk" PRIMARY KEY("user_id","loop_id")
);
--> statement-breakpoint
CREATE TABLE "loop_plays" (
	"id" uuid PRIMARY KEY NOT NULL,
	"loop_id" uuid NOT NULL,
	"user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loops" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"owner_username" text NOT NULL,
	"name" text NOT NULL,
	"bars" integer NOT NULL,
	"bpm" integer NOT NULL,
	"color" text NOT NULL,
	"chord_progression" jsonb NOT NULL,
	"icon_sequence" jsonb NOT NULL,
	"visibility" text DEFAULT 'private' NOT NULL,
	"remixable" boolean DEFAULT false NOT NULL,
	"parent_loop_id" uuid,
	"plays_count" integer DEFAULT 0 NOT NULL,
	"likes_count" integer DEFAULT 0 NOT NULL,
	"remixes_count" integer DEFAULT 0 NOT NULL,
	"hot_score" double precision GENERATED ALWAYS AS (ln(1 + greatest(likes_count, 0)) + extract(epoch from (created_at - timestamptz '2026-01-01 00:00:00+00')) / 45000.0) STORED NOT NULL,
	CONSTRAINT "loops_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "loops_id_key" UNIQUE("id"),
	CONSTRAINT "loops_name_len" CHECK (char_length("loops"."name") between 1 and 100),
	CONSTRAINT "loops_bars" CHECK ("loops"."bars" in (1, 2, 4, 8)),
	CONSTRAINT "loops_bpm" CHECK ("loops"."bpm" between 40 and 300),
	CONSTRAINT "loops_color" CHECK ("loops"."color" ~ '^#[0-9a-fA-F]{6}$'),
	CONSTRAINT "loops_chords" CHECK (jsonb_typeof("loops"."chord_progression") = 'array' and jsonb_array_length("loops"."chord_progression") <= "loops"."bars" * 4),
	CONSTRAINT "loops_icons" CHECK (jsonb_typeof("loops"."icon_sequence") = 'array' and jsonb_array_length("loops"."icon_sequence") <= 64),
	CONSTRAINT "loops_plays_nonneg" CHECK ("loops"."plays_count" >= 0),
	CONSTRAINT "loops_likes_nonneg" CHECK ("loops"."likes_count" >= 0),
	CONSTRAINT "loops_remixes_nonneg" CHECK ("loops"."remixes_count" >= 0),
	CONSTRAINT "loops_visibility" CHECK ("loops"."visibility" in ('private', 'public')),
	CONSTRAINT "loops_not_own_parent" CHECK ("loops"."parent_loop_id" <> "loops"."id")
);
--> statement-breakpoint
CREATE TABLE "songs" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"title" text NOT NULL,
	"bpm" integer NOT NULL,
	"time_signature" text DEFAULT '4/4' NOT NULL,
	"timeline" jsonb NOT NULL,
	"visibility" text DEFAULT 'private' NOT NULL,
	CONSTRAINT "songs_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "songs_title_len" CHECK (char_length("songs"."title") between 1 and 200),
	CONSTRAINT "songs_bpm" CHECK ("songs"."bpm" between 40 and 300),
	CONSTRAINT "songs_time_signature" CHECK ("songs"."time_signature" in ('4/4', '3/4')),
	CONSTRAINT "songs_timeline" CHECK (jsonb_typeof("songs"."timeline") = 'array' and jsonb_array_length("songs"."timeline") <= 256),
	CONSTRAINT "songs_visibility" CHECK ("songs"."visibility" in ('private', 'public'))
);
--> statement-breakpoint
ALTER TABLE "loop_likes" ADD CONSTRAINT "loop_likes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loop_likes" ADD CONSTRAINT "loop_likes_loop_id_loops_id_fk" FOREIGN KEY ("loop_id") REFERENCES "public"."loops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loop_plays" ADD CONSTRAINT "loop_plays_loop_id_loops_id_fk" FOREIGN KEY ("loop_id") REFERENCES "public"."loops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loop_plays" ADD CONSTRAINT "loop_plays_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loops" ADD CONSTRAINT "loops_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loops" ADD CONSTRAINT "loops_parent_loop_id_loops_id_fk" FOREIGN KEY ("parent_loop_id") REFERENCES "public"."loops"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "songs" ADD CONSTRAINT "songs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "loop_likes_loop_idx" ON "loop_likes" USING btree ("loop_id");--> statement-breakpoint
CREATE INDEX "loop_plays_loop_idx" ON "loop_plays" USING btree ("loop_id");--> statement-breakpoint
CREATE INDEX "loops_user_created_idx" ON "loops" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "loops_parent_idx" ON "loops" USING btree ("parent_loop_id");--> statement-breakpoint
CREATE INDEX "loops_feed_new_idx" ON "loops" USING btree ("created_at","id") WHERE visibility = 'public';--> statement-breakpoint
CREATE INDEX "loops_feed_top_idx" ON "loops" USING btree ("hot_score","id") WHERE visibility = 'public';--> statement-breakpoint
CREATE INDEX "songs_user_created_idx" ON "songs" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "songs_timeline_idx" ON "songs" USING gin ("timeline" jsonb_path_ops);