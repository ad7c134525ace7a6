import { z } from "zod";
import { todos } from "../../db/schema.ts";
import { pageQuery } from "./common.ts";
import { declareRecord } from "./declare.ts";
import { LIMITS } from "./rules.ts";

const title = z.string().trim().min(1).max(LIMITS.todo.title);
/** An ISO-8601 instant whose (UTC) year is in LIMITS.todo.dueYears. */
export const dueAt = z.iso.datetime({ offset: true }).refine(
  (v) => {
    const year = new Date(v).getUTCFullYear();
    return year >= LIMITS.todo.dueYears.min && year <= LIMITS.todo.dueYears.max;
  },
  { message: `Due dates must fall in the years ${LIMITS.todo.dueYears.min}–${LIMITS.todo.dueYears.max}` },
);

export const todoRecord = declareRecord({
  entity: "todo",
  table: todos,
  label: "Todo",
  component: "Todo",
  fields: { title, done: z.boolean(), due_at: dueAt.nullable() },
  required: ["title"],
  api: { path: "/api/todos", tag: "Todos" },
  sample: { title: "Water the plants" },
});

export const todoSchema = todoRecord.schema;
export type Todo = z.infer<typeof todoSchema>;
export type CreateTodo = z.infer<typeof todoRecord.create>;
export type UpdateTodo = z.infer<typeof todoRecord.update>;
export const todoToWire = todoRecord.toWire;

export const listTodosQuery = z.strictObject({
  ...pageQuery,
  done: z.enum(["true", "false"]).optional(),
});
