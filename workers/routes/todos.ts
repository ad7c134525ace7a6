/** SPEC §5 Assistant → todos: the plain CRUD shape, filtered by `?done=`. */
import { listTodos, todoValues } from "../data/todos";
import { crudRoutes } from "../http/crud";
import { createApi } from "../http/openapi";
import { createTodoSchema, listTodosQuery, todoSchema, updateTodoSchema } from "../protocol/todos";

export const todoRoutes = createApi();

crudRoutes(todoRoutes, {
  pipelined: true,
  entity: "todo",
  tag: "Todos",
  name: "Todo",
  schemas: { record: todoSchema, create: createTodoSchema, update: updateTodoSchema, list: listTodosQuery },
  list: (db, userId, q) => listTodos(db, userId, { ...q, done: q.done === undefined ? undefined : q.done === "true" }),
  toInsert: (b) => ({ done: false, ...todoValues(b) }),
  toUpdate: (b) => todoValues(b),
});
