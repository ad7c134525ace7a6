/**
 * The assistant's tools, each defined once: name, description, zod input,
 * whether it changes data, and a handler that calls the same domain code as
 * the REST routes (so ownership, versions and the change log apply). The chat
 * (./model.ts → AI SDK `tool()`) and MCP (./mcp.ts) are adapters over this list.
 */
import { z } from "zod";
import { findRunning, startFocus } from "../data/focus";
import { listReferences } from "../data/references";
import { createTodo, listTodos, removeTodo, updateTodo } from "../data/todos";
import { recentChanges, undoLast } from "../data/undo";
import type { Db } from "../../db/client";
import { paginateOwnNewest, type PageQuery } from "../data/paginate";
import type { Scope } from "../sync/scope";
import { pageResponse, tagSchema, tagsSchema } from "../protocol/common";
import { focusSessionToWire } from "../protocol/focus";
import { inboxItemRecord, inboxItemToWire } from "../protocol/inbox";
import { referenceToWire } from "../protocol/references";
import { LIMITS } from "../protocol/rules";
import { dueAt, todoToWire } from "../protocol/todos";

export interface ToolRun {
  /**
   * A stable id for what the call creates (the tool call's own id in the
   * chat): running an approved call again returns the same record instead of
   * a second one.
   */
  recordId?: string | undefined;
}

export interface ToolDef<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: S;
  /** Data-changing tools wait for the user's approval in the chat; over MCP they carry destructiveHint. */
  changesData: boolean;
  run(scope: Scope, input: z.infer<S>, opts: ToolRun): Promise<unknown>;
}

const define = <S extends z.ZodObject>(def: ToolDef<S>) => def as unknown as ToolDef;

const todoTitle = z.string().trim().min(1).max(LIMITS.todo.title).describe("The todo's title");
const todoId = z.uuid().describe("The todo's id (from list_todos)");
const LIST_LIMIT = 50;

// Reading tools run on the request's own database handle (outside any transaction).
const readDb = (scope: Scope) => scope.db as Db;

/**
 * What a listing tool answers: the first page of the same list query the REST
 * route uses, as wire records cut to the same byte cap, with the full total so
 * the model can say there is more.
 */
async function firstPage<F extends object, R>(
  scope: Scope,
  list: (db: Db, userId: string, q: PageQuery & F) => Promise<{ items: R[]; total: number }>,
  filters: F,
  toWire: (row: R) => unknown,
  pageSize = LIST_LIMIT,
) {
  const q = { page: 1, page_size: pageSize };
  const { items, total } = await list(readDb(scope), scope.userId, { ...q, ...filters });
  // Bounded in bytes like the REST page (LIST_PAGE_BYTES): an MCP client gets no megabyte answer either.
  return {
    items: pageResponse(
      q,
      items.map((row) => toWire(row)),
      total,
    ).items,
    total,
  };
}

export const TOOLS: readonly ToolDef[] = [
  define({
    name: "list_todos",
    title: "List todos",
    description:
      "List the user's todos (newest first unless order is 'oldest'); filter by done or by words in the title.",
    input: z.strictObject({
      done: z.boolean().optional().describe("Only done (true) or only open (false) todos"),
      title: z
        .string()
        .trim()
        .min(1)
        .max(LIMITS.todo.title)
        .optional()
        .describe("Only todos whose title contains this text"),
      order: z.enum(["newest", "oldest"]).optional(),
    }),
    changesData: false,
    run: (scope, input) =>
      firstPage(
        scope,
        listTodos,
        { done: input.done, title: input.title, oldestFirst: input.order === "oldest" },
        todoToWire,
      ),
  }),
  define({
    name: "create_todo",
    title: "Create a todo",
    description: "Add a todo for the user.",
    input: z.strictObject({
      title: todoTitle,
      due_at: dueAt.optional().describe("When it is due (ISO-8601)"),
    }),
    changesData: true,
    async run(scope, input, { recordId }) {
      const body = {
        ...(recordId ? { id: recordId } : {}),
        title: input.title,
        ...(input.due_at ? { due_at: input.due_at } : {}),
      };
      const { row } = await createTodo(scope, body);
      return todoToWire(row);
    },
  }),
  define({
    name: "complete_todo",
    title: "Complete a todo",
    description: "Mark one of the user's todos as done.",
    input: z.strictObject({ id: todoId }),
    changesData: true,
    async run(scope, input) {
      return todoToWire(await updateTodo(scope, input.id, undefined, { done: true }));
    },
  }),
  define({
    name: "delete_todo",
    title: "Delete a todo",
    description: "Delete one of the user's todos.",
    input: z.strictObject({ id: todoId }),
    changesData: true,
    async run(scope, input) {
      return todoToWire(await removeTodo(scope, input.id, undefined));
    },
  }),
  define({
    name: "capture_inbox",
    title: "Capture to inbox",
    description: "Capture a note into the user's inbox.",
    input: z.strictObject({
      title: z.string().trim().min(1).max(LIMITS.inbox.title).describe("The note"),
      description: z.string().max(LIMITS.inbox.description).optional(),
      tags: tagsSchema.optional(),
    }),
    changesData: true,
    async run(scope, input, { recordId }) {
      const { row } = await scope.write((w) =>
        w.insert("inbox_item", { ...(recordId ? { id: recordId } : {}), ...inboxItemRecord.toInsert(input) }),
      );
      return inboxItemToWire(row);
    },
  }),
  define({
    name: "list_inbox",
    title: "List inbox",
    description: "List the user's inbox items, newest first, optionally by tag.",
    input: z.strictObject({ tag: tagSchema.optional() }),
    changesData: false,
    run: (scope, input) =>
      firstPage(
        scope,
        (db, userId, q) => paginateOwnNewest(db, inboxItemRecord.table, inboxItemRecord.table.createdAt, userId, q),
        { tag: input.tag },
        inboxItemToWire,
      ),
  }),
  define({
    name: "search_references",
    title: "Search references",
    description: "Full-text search of the user's reference library (title and content, word prefixes).",
    input: z.strictObject({ query: z.string().trim().min(1).max(LIMITS.reference.query) }),
    changesData: false,
    run: (scope, input) =>
      firstPage(scope, listReferences, { q: input.query, archived: "false" as const }, referenceToWire, 20),
  }),
  define({
    name: "focus_status",
    title: "Focus status",
    description: "The user's running focus session, if any, with the time left.",
    input: z.strictObject({}),
    changesData: false,
    async run(scope) {
      const row = await findRunning(scope.db, scope.userId);
      return { session: row ? focusSessionToWire(row, new Date()) : null };
    },
  }),
  define({
    name: "start_focus",
    title: "Start focusing",
    description: "Start a focus session of the given minutes (1–240).",
    input: z.strictObject({
      minutes: z.number().int().min(1).max(LIMITS.assistant.focusMinutes),
      label: z.string().trim().max(LIMITS.focus.label).optional(),
    }),
    changesData: true,
    async run(scope, input, { recordId }) {
      const { row } = await startFocus(scope, {
        ...(recordId ? { id: recordId } : {}),
        duration_s: input.minutes * 60,
        ...(input.label ? { label: input.label } : {}),
      });
      return focusSessionToWire(row, new Date());
    },
  }),
  define({
    name: "list_recent_changes",
    title: "List recent changes",
    description:
      "The user's latest changes to todos, inbox items and references, newest first: what was created, edited or " +
      "deleted, and when (from any device, the assistant included).",
    input: z.strictObject({ limit: z.number().int().min(1).max(LIST_LIMIT).optional() }),
    changesData: false,
    async run(scope, input) {
      return { changes: await recentChanges(scope.db, scope.userId, input.limit ?? 10) };
    },
  }),
  define({
    name: "undo_last_action",
    title: "Undo the last change",
    description:
      "Undo the user's latest change to a todo, inbox item or reference (see list_recent_changes): an edit or a " +
      "delete is restored, a creation is deleted. Calling it again undoes the undo.",
    input: z.strictObject({}),
    changesData: true,
    async run(scope) {
      return scope.write((w) => undoLast(w, scope.userId));
    },
  }),
];

export const toolByName = (name: string) => TOOLS.find((t) => t.name === name);
