/** SPEC §5 Assistant: conversations, their messages and tool calls, and the action API. */
import { z } from "zod";
import { conversations, messages, toolCalls } from "../../db/schema";
import { pageQuery, recordBase, recordToWire } from "./common";
import { defineRecord } from "./declare";
import { LIMITS } from "./rules";

export const conversationStatus = z.enum(["idle", "running", "awaiting_approval", "error"]);
export type ConversationStatus = z.infer<typeof conversationStatus>;
export const toolCallStatus = z.enum(["pending_approval", "approved", "denied", "executed", "failed"]);
export type ToolCallStatus = z.infer<typeof toolCallStatus>;

export const conversationSchema = z
  .object({
    ...recordBase,
    title: z.string(),
    status: conversationStatus,
    /** Why the last run failed, while `status` is `error`. */
    error: z.string().nullable(),
  })
  .meta({ id: "Conversation" });
export type Conversation = z.infer<typeof conversationSchema>;

export const toolCallSchema = z
  .object({
    ...recordBase,
    conversation_id: z.uuid(),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
    status: toolCallStatus,
    result: z.unknown().nullable(),
    /** When the user undid what this executed call changed; null while it stands. */
    undone_at: z.string().nullable(),
  })
  .meta({ id: "ToolCall" });
export type ToolCall = z.infer<typeof toolCallSchema>;

export const messageSchema = z
  .object({
    ...recordBase,
    conversation_id: z.uuid(),
    seq: z.number().int(),
    role: z.enum(["user", "assistant", "tool"]),
    content: z.string(),
    tool_call_id: z.uuid().nullable(),
  })
  .meta({ id: "Message" });
export type Message = z.infer<typeof messageSchema>;

/**
 * What a pending call will change, from the database (workers/assistant/preview.ts):
 * a sentence for the approval card, and the todo a complete/delete will touch
 * (null when it no longer exists) or the minutes of a focus session.
 */
export const toolCallPreviewSchema = z
  .object({
    summary: z.string(),
    todo: z.union([z.object({ id: z.uuid(), title: z.string(), done: z.boolean() }), z.null()]).optional(),
    minutes: z.number().optional(),
  })
  .meta({ id: "ToolCallPreview" });
export type ToolCallPreview = z.infer<typeof toolCallPreviewSchema>;

/** In `state`, a `tool` message carries its call and outcome (and, while pending, its preview). */
export const stateMessageSchema = messageSchema
  .extend({
    name: z.string().optional(),
    input: z.record(z.string(), z.unknown()).optional(),
    status: toolCallStatus.optional(),
    result: z.unknown().optional(),
    /** When the user undid what the call changed (tool messages only); null while it stands. */
    undone_at: z.string().nullable().optional(),
    preview: toolCallPreviewSchema.optional(),
  })
  .meta({ id: "StateMessage" });

/** A pending call in `state.pending_tool_calls`, with what approving it will change. */
export const pendingToolCallSchema = toolCallSchema.and(z.object({ preview: toolCallPreviewSchema }));
export type StateMessage = z.infer<typeof stateMessageSchema>;

export const conversationStateSchema = z
  .object({
    conversation: conversationSchema,
    messages: z.array(stateMessageSchema),
    pending_tool_calls: z.array(pendingToolCallSchema),
    status: conversationStatus,
  })
  .meta({ id: "ConversationState" });
export type ConversationState = z.infer<typeof conversationStateSchema>;

export const createConversationSchema = z.strictObject({
  id: z.uuid().optional(),
  title: z.string().trim().min(1).max(LIMITS.assistant.conversationTitle).optional(),
});
export const listConversationsQuery = z.strictObject({ ...pageQuery });

export const sendMessageSchema = z.strictObject({ content: z.string().trim().min(1).max(LIMITS.assistant.message) });
export type SendMessage = z.infer<typeof sendMessageSchema>;

export const approveToolsSchema = z.strictObject({
  approvals: z
    .array(z.strictObject({ tool_call_id: z.uuid(), approved: z.boolean() }))
    .min(1)
    .max(LIMITS.assistant.approvals)
    .refine((a) => new Set(a.map((x) => x.tool_call_id)).size === a.length, "Each tool call may appear once."),
});
export type ApproveTools = z.infer<typeof approveToolsSchema>;

export const conversationToWire = (row: typeof conversations.$inferSelect): Conversation => ({
  ...recordToWire(row),
  title: row.title,
  status: row.status,
  error: row.status === "error" ? row.lastError : null,
});

export const toolCallToWire = (row: typeof toolCalls.$inferSelect): ToolCall => ({
  ...recordToWire(row),
  conversation_id: row.conversationId,
  name: row.name,
  input: row.input,
  status: row.status,
  result: row.result ?? null,
  undone_at: row.undoneAt?.toISOString() ?? null,
});

export const messageToWire = (row: typeof messages.$inferSelect): Message => ({
  ...recordToWire(row),
  conversation_id: row.conversationId,
  seq: row.seq,
  role: row.role,
  content: row.content,
  tool_call_id: row.toolCallId,
});

export const conversationRecord = defineRecord({
  entity: "conversation",
  table: conversations,
  toWire: conversationToWire,
  schema: conversationSchema,
  label: "Conversation",
});
export const messageRecord = defineRecord({
  entity: "message",
  table: messages,
  toWire: messageToWire,
  schema: messageSchema,
  label: "Message",
});
export const toolCallRecord = defineRecord({
  entity: "tool_call",
  table: toolCalls,
  toWire: toolCallToWire,
  schema: toolCallSchema,
  label: "Tool call",
});
