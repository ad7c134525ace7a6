/** SPEC §5 Assistant → todos: the plain CRUD shape, filtered by `?done=`. */
import { listTodos } from "../data/todos";
import { crudRoutes, declaredCrud } from "../http/crud";
import { createApi } from "../http/openapi";
import { listTodosQuery, todoRecord } from "../protocol/todos";

export const todoRoutes = createApi();

crudRoutes(todoRoutes, {
  ...declaredCrud(todoRecord, listTodosQuery),
  pipelined: true,

  list: (db, userId, q) => listTodos(db, userId, { ...q, done: q.done === undefined ? undefined : q.done === "true" }),
});
