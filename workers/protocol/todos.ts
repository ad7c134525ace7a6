import { z } from "zod";
import { todos } from "../../db/schema";
import { iso, pageQuery, recordBase, recordToWire, versionField } from "./common";
import { defineRecord } from "./record";
import { LIMITS } from "./rules";

const title = z.string().trim().min(1).max(LIMITS.todo.title);
/** An ISO-8601 instant whose (UTC) year is in LIMITS.todo.dueYears. */
export const dueAt = z.iso.datetime({ offset: true }).refine(
  (v) => {
    const year = new Date(v).getUTCFullYear();
    return year >= LIMITS.todo.dueYears.min && year <= LIMITS.todo.dueYears.max;
  },
  { message: `Due dates must fall in the years ${LIMITS.todo.dueYears.min}–${LIMITS.todo.dueYears.max}` },
);

export const todoSchema = z
  .object({
    ...recordBase,
    title: z.string(),
    done: z.boolean(),
    due_at: z.string().nullable(),
  })
  .meta({ id: "Todo" });
export type Todo = z.infer<typeof todoSchema>;

export const createTodoSchema = z.strictObject({
  id: z.uuid().optional(),
  title,
  done: z.boolean().optional(),
  due_at: dueAt.nullable().optional(),
});
export type CreateTodo = z.infer<typeof createTodoSchema>;

export const updateTodoSchema = z.strictObject({
  title: title.optional(),
  done: z.boolean().optional(),
  due_at: dueAt.nullable().optional(),
  ...versionField,
});
export type UpdateTodo = z.infer<typeof updateTodoSchema>;

export const listTodosQuery = z.strictObject({
  ...pageQuery,
  done: z.enum(["true", "false"]).optional(),
});

export function todoToWire(row: typeof todos.$inferSelect): Todo {
  return { ...recordToWire(row), title: row.title, done: row.done, due_at: iso(row.dueAt) };
}

export const todoRecord = defineRecord({
  entity: "todo",
  table: todos,
  toWire: todoToWire,
  schema: todoSchema,
  label: "Todo",
});
