CREATE TABLE "focus_presets" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"name" text NOT NULL,
	"minutes" integer NOT NULL,
	"soundscape" text,
	"library_id" uuid,
	CONSTRAINT "focus_presets_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "focus_presets_name_length" CHECK (char_length("focus_presets"."name") between 1 and 60),
	CONSTRAINT "focus_presets_minutes" CHECK ("focus_presets"."minutes" between 1 and 240),
	CONSTRAINT "focus_presets_soundscape" CHECK ("focus_presets"."soundscape" in ('brown', 'rain', 'cafe'))
);
--> statement-breakpoint
ALTER TABLE "focus_presets" ADD CONSTRAINT "focus_presets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "focus_presets_user_created_idx" ON "focus_presets" USING btree ("user_id","created_at");