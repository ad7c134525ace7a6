import type { ConversationStatus, ToolCallStatus } from "../../api/types.ts";

export const STATUS_TEXT: Record<ConversationStatus, string> = {
  idle: "Ready",
  running: "Working…",
  awaiting_approval: "Needs your approval",
  error: "Stopped",
};

export const CALL_TEXT: Record<ToolCallStatus, string> = {
  pending_approval: "Waiting for approval",
  approved: "Approved",
  denied: "Denied",
  executed: "Done",
  failed: "Failed",
};

export const TOOL_TEXT: Record<string, string> = {
  list_todos: "List todos",
  create_todo: "Create a todo",
  complete_todo: "Complete a todo",
  delete_todo: "Delete a todo",
  capture_inbox: "Capture to inbox",
  list_inbox: "List inbox",
  search_references: "Search references",
  focus_status: "Focus status",
  start_focus: "Start focusing",
};

/** What undoing an executed call did, by tool (the server's undo: workers/assistant/undo-call.ts). */
export const UNDONE_TEXT: Record<string, string> = {
  create_todo: "the todo it created is deleted",
  complete_todo: "the todo is open again",
  delete_todo: "the todo is back",
  capture_inbox: "the inbox item it captured is deleted",
  start_focus: "the focus session is abandoned",
  undo_last_action: "the change it undid is back",
};
