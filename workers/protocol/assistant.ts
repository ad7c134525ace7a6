/** SPEC §5 Assistant: conversations, their messages and tool calls, and the action API. */
import { z } from "zod";
import { conversations, messages, toolCalls } from "../../db/schema.ts";
import { pageQuery } from "./common.ts";
import { declareRecord, declareWithoutCrud } from "./declare.ts";
import { LIMITS } from "./rules.ts";

export const conversationStatus = z.enum(["idle", "running", "awaiting_approval", "error"]);
export type ConversationStatus = z.infer<typeof conversationStatus>;
export const toolCallStatus = z.enum(["pending_approval", "approved", "denied", "executed", "failed"]);
export type ToolCallStatus = z.infer<typeof toolCallStatus>;

/**
 * A conversation. Its `status` and run claim are the server's (the state
 * machine, docs/ARCHITECTURE.md): a client creates, reads and deletes it, and
 * talks to it through the actions.
 */
export const conversationRecord = declareRecord({
  entity: "conversation",
  table: conversations,
  label: "Conversation",
  component: "Conversation",
  fields: { title: z.string().trim().min(1).max(LIMITS.assistant.conversationTitle) },
  required: [],
  // The run's claim is internal.
  hidden: ["runId", "leaseUntil"],
  computed: {
    /** Why the last run failed, while `status` is `error`. */
    error: {
      schema: z.string().nullable(),
      of: (row: Pick<typeof conversations.$inferSelect, "status" | "lastError">) =>
        row.status === "error" ? row.lastError : null,
      replaces: ["lastError"],
    },
  },
  api: { path: "/api/assistant/conversations", tag: "Assistant" },
  sample: {},
});

export const conversationSchema = conversationRecord.schema;
export type Conversation = z.infer<typeof conversationSchema>;

/** A tool call the model made, its approval state and outcome: written only by the run (and an undo). */
export const toolCallRecord = declareWithoutCrud({
  entity: "tool_call",
  table: toolCalls,
  label: "Tool call",
  component: "ToolCall",
  fields: {},
  // The model's own id for the call matters only to the run.
  hidden: ["callId"],
  wire: { input: z.record(z.string(), z.unknown()), result: z.unknown().nullable() },
});
export const toolCallSchema = toolCallRecord.schema;
export type ToolCall = z.infer<typeof toolCallSchema>;

/** A message of a conversation, ordered by `seq`: written only by the run. */
export const messageRecord = declareWithoutCrud({
  entity: "message",
  table: messages,
  label: "Message",
  component: "Message",
  fields: {},
});
export const messageSchema = messageRecord.schema;
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

export const listConversationsQuery = z.strictObject({ ...pageQuery });

export const sendMessageSchema = z.strictObject({ content: z.string().trim().min(1).max(LIMITS.assistant.message) });
export type SendMessage = z.infer<typeof sendMessageSchema>;

export const approveToolsSchema = z.strictObject({
  approvals: z
    .array(
      z.strictObject({
        tool_call_id: z.uuid(),
        approved: z.boolean(),
        // The call as the state showed it (optional): when the stored call still has this name and
        // input, an approved call's write goes in the same transaction as the claim (one round trip less).
        name: z.string().max(64).optional().describe("The call's tool name, as the state showed it"),
        input: z.record(z.string(), z.unknown()).optional().describe("The call's input, as the state showed it"),
      }),
    )
    .min(1)
    .max(LIMITS.assistant.approvals)
    .refine((a) => new Set(a.map((x) => x.tool_call_id)).size === a.length, "Each tool call may appear once."),
});
export type ApproveTools = z.infer<typeof approveToolsSchema>;

export const conversationToWire = conversationRecord.toWire;

export const toolCallToWire = toolCallRecord.toWire;
export const messageToWire = messageRecord.toWire;
