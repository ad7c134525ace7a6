DROP INDEX "focus_tracks_library_position_idx";--> statement-breakpoint
DROP INDEX "focus_tracks_audio_idx";--> statement-breakpoint
DROP INDEX "messages_conversation_seq_key";--> statement-breakpoint
DROP INDEX "reference_items_audio_idx";--> statement-breakpoint
DROP INDEX "tool_calls_conversation_idx";--> statement-breakpoint
-- Issue 19: a message's seq was the next one among ALL users' messages of a conversation id, so a
-- thread whose id another user also held may have gaps or start above 1. Renumber each user's thread
-- densely from 1, keeping its order (relative order, all a client sorts by, is unchanged).
UPDATE "messages" m SET "seq" = r.n
FROM (
  SELECT "user_id", "id", row_number() OVER (PARTITION BY "user_id", "conversation_id" ORDER BY "seq", "created_at", "id") AS n
  FROM "messages"
) r
WHERE m."user_id" = r."user_id" AND m."id" = r."id" AND m."seq" <> r.n;--> statement-breakpoint
CREATE INDEX "focus_tracks_library_position_idx" ON "focus_tracks" USING btree ("user_id","library_id","position");--> statement-breakpoint
CREATE INDEX "focus_tracks_audio_idx" ON "focus_tracks" USING btree ("user_id","audio_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_conversation_seq_key" ON "messages" USING btree ("user_id","conversation_id","seq");--> statement-breakpoint
CREATE INDEX "reference_items_audio_idx" ON "reference_items" USING btree ("user_id","audio_id");--> statement-breakpoint
CREATE INDEX "tool_calls_conversation_idx" ON "tool_calls" USING btree ("user_id","conversation_id","status");