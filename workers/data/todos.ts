/**
 * Todos: the queries and writes the REST routes (routes/todos.ts, the CRUD
 * helper) and the assistant's tools (assistant/tools.ts) share. Both write
 * through the Writer, so both get ownership, versions and the change log; the
 * commands take a Scope (sync/scope.ts), like every domain command.
 */
import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { todos } from "../../db/schema";
import { type CreateTodo, todoRecord, type UpdateTodo } from "../protocol/todos";
import type { Scope } from "../sync/scope";
import { paginate } from "./paginate";

/** Newest first (SPEC §3); `done` filters; `title` matches case-insensitively as a substring. */
export async function listTodos(
  db: Db,
  userId: string,
  q: { page: number; page_size: number; done?: boolean | undefined; title?: string | undefined; oldestFirst?: boolean },
) {
  const where = and(
    eq(todos.userId, userId),
    q.done === undefined ? undefined : eq(todos.done, q.done),
    q.title ? sql`strpos(lower(${todos.title}), lower(${q.title})) > 0` : undefined,
  );
  const order = q.oldestFirst ? [asc(todos.createdAt), asc(todos.id)] : [desc(todos.createdAt), desc(todos.id)];
  return paginate(db, todos, { where, orderBy: order }, q);
}

export const createTodo = (scope: Scope, { id, ...body }: CreateTodo) =>
  scope.write((w) => w.insert("todo", { ...(id ? { id } : {}), ...todoRecord.toInsert(body) }));

export const updateTodo = (scope: Scope, id: string, expected: number | undefined, body: Omit<UpdateTodo, "version">) =>
  scope.write((w) => w.update("todo", id, expected, todoRecord.toUpdate(body)));

export const removeTodo = (scope: Scope, id: string, expected: number | undefined) =>
  scope.write((w) => w.remove("todo", id, expected));
