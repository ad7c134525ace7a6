CREATE TABLE "market_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"slug" text,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price" integer NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"consumable" boolean DEFAULT true NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"effect" jsonb,
	CONSTRAINT "market_items_price_range" CHECK ("market_items"."price" between 1 and 100000),
	CONSTRAINT "market_items_custom_consumable" CHECK ("market_items"."user_id" is null or "market_items"."consumable"),
	CONSTRAINT "market_items_slug_only_catalog" CHECK (("market_items"."slug" is null) = ("market_items"."user_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "market_transactions" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"amount" integer NOT NULL,
	"balance_after" bigint NOT NULL,
	"kind" text NOT NULL,
	"source_type" text NOT NULL,
	"source_id" uuid NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	CONSTRAINT "market_transactions_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "market_transactions_amount_nonzero" CHECK ("market_transactions"."amount" <> 0),
	CONSTRAINT "market_transactions_balance_nonnegative" CHECK ("market_transactions"."balance_after" >= 0),
	CONSTRAINT "market_transactions_sign_matches_kind" CHECK (("market_transactions"."kind" in ('earn', 'refund') and "market_transactions"."amount" > 0) or ("market_transactions"."kind" = 'purchase' and "market_transactions"."amount" < 0) or "market_transactions"."kind" = 'adjust')
);
--> statement-breakpoint
CREATE TABLE "user_market_purchases" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"item_id" uuid,
	"item_name" text NOT NULL,
	"price" integer NOT NULL,
	"consumable" boolean NOT NULL,
	"effect" jsonb,
	"refunded_at" timestamp with time zone,
	CONSTRAINT "user_market_purchases_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "user_market_purchases_price_positive" CHECK ("user_market_purchases"."price" > 0)
);
--> statement-breakpoint
CREATE TABLE "user_rewards" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"achievement" text NOT NULL,
	"bonus" integer NOT NULL,
	"earned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_rewards_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "user_rewards_bonus_positive" CHECK ("user_rewards"."bonus" > 0)
);
--> statement-breakpoint
CREATE TABLE "user_wallet" (
	"id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"lifetime_earned" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "user_wallet_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "user_wallet_balance_nonnegative" CHECK ("user_wallet"."balance" >= 0),
	CONSTRAINT "user_wallet_lifetime_nonnegative" CHECK ("user_wallet"."lifetime_earned" >= 0)
);
--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "time_zone" text;--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "accent" text;--> statement-breakpoint
ALTER TABLE "market_items" ADD CONSTRAINT "market_items_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "market_transactions" ADD CONSTRAINT "market_transactions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_market_purchases" ADD CONSTRAINT "user_market_purchases_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_market_purchases" ADD CONSTRAINT "user_market_purchases_item_id_market_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."market_items"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_rewards" ADD CONSTRAINT "user_rewards_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_wallet" ADD CONSTRAINT "user_wallet_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "market_items_user_id_key" ON "market_items" USING btree ("user_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "market_items_slug_key" ON "market_items" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "market_items_user_idx" ON "market_items" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "market_items_tags_idx" ON "market_items" USING gin ("tags");--> statement-breakpoint
CREATE UNIQUE INDEX "market_transactions_source_key" ON "market_transactions" USING btree ("user_id","source_type","source_id");--> statement-breakpoint
CREATE INDEX "market_transactions_user_idx" ON "market_transactions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "user_market_purchases_user_idx" ON "user_market_purchases" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "user_market_purchases_item_idx" ON "user_market_purchases" USING btree ("item_id");--> statement-breakpoint
CREATE UNIQUE INDEX "user_market_purchases_owned_once" ON "user_market_purchases" USING btree ("user_id","item_id") WHERE not "user_market_purchases"."consumable" and "user_market_purchases"."refunded_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "user_rewards_user_achievement_key" ON "user_rewards" USING btree ("user_id","achievement");--> statement-breakpoint
CREATE UNIQUE INDEX "user_wallet_user_key" ON "user_wallet" USING btree ("user_id");