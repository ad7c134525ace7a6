/**
 * Routes are declared once with @hono/zod-openapi: the same zod schemas
 * validate requests and describe them in GET /api/openapi.json.
 *
 *  - `createApi()` makes a domain's sub-app with the SPEC's validation errors
 *    (a body → 422 `validation_failed`, query/path → 400 `invalid_query`; zod
 *    issues in `details`, never the input itself).
 *  - `route()` declares one operation and its traits, and attaches the
 *    middleware they call for — nothing about a route lives in a path list:
 *      `session`    "required" (default) | "optional" | "none";
 *      `pipelined`  the handler may run before the session is confirmed (its
 *                   first query carries the check, middleware/auth.ts);
 *      `idempotent` Idempotency-Key handling (default: signed-in routes);
 *      `db`         a database handle per request (default true);
 *      body kind    JSON or binary, from the declared request body's media type.
 *    Every route lists the error statuses it can really return.
 *  - `register()` adds a declared route to an app, with the handler's input
 *    typed from the schemas and its context typed from the traits: a
 *    pipelined handler gets `PipelinedEnv` (the database and `user.id` only)
 *    until it awaits `confirmed(c)`. Responses are checked by the tests
 *    against the document, not by the type system.
 */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context, Handler, Input, MiddlewareHandler } from "hono";
import { z, type ZodType } from "zod";
import type { AppEnv, OptionalSessionEnv, PipelinedEnv, PublicEnv, Rebuild } from "../env";
import { AppError, notFound } from "../errors";
import { optionalAuth, pipelinedAuth, requireAuth } from "../middleware/auth";
import { database, JSON_TYPE, jsonBody } from "../middleware/request";
import { idempotency, idempotencyGate } from "../middleware/idempotency";
import { errorSchema, findUnstorable } from "../protocol/common";
import { ErrorCode } from "../protocol/rules";

type Issue = { path: PropertyKey[]; message: string; code: string };
const describe = (issues: readonly Issue[]) =>
  issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));

/**
 * Runs before a JSON body's validator (route middleware precede validators):
 * the depth bound must hold before a recursive schema walks the value. A body
 * that doesn't parse is left to the validator's own 400.
 */
export const storableJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    let body: unknown;
    let parsed = true;
    try {
      body = await c.req.json();
    } catch {
      parsed = false;
    }
    const bad = parsed ? findUnstorable(body) : undefined;
    if (bad) throw validationError("json", [bad]);
  }
  await next();
};

/** A failed (or NUL-carrying) validation: 422 for a body, 400 for a query or header, 404 for a path id. */
export function validationError(target: string, issues: ReturnType<typeof describe>): AppError {
  if (target === "json")
    return new AppError(422, ErrorCode.validation_failed, "The request body is invalid.", { details: issues });
  if (target === "header")
    return new AppError(400, ErrorCode.invalid_header, "A request header is invalid.", { details: issues });
  if (target === "param") return notFound();
  return new AppError(400, ErrorCode.invalid_query, "The query parameters are invalid.", { details: issues });
}

type HookResult = { target: string } & ({ success: true; data: unknown } | { success: false; error: z.ZodError });

export function validationHook(result: HookResult): void {
  if (!result.success) throw validationError(result.target, describe(result.error.issues as Issue[]));
  const bad = findUnstorable(result.data);
  if (bad) throw validationError(result.target, [bad]);
}

/** A domain's sub-app. Path ids are declared as strings: a malformed id is simply not found (404). */
export const createApi = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
export type Api = ReturnType<typeof createApi>;

/**
 * A binary body route (audio uploads) streams its body: the JSON checks (media
 * type, 256 KB limit) apply only when it is sent JSON anyway, so such a body
 * is never buffered whole either.
 */
const jsonUnlessBinary: MiddlewareHandler<AppEnv> = (c, next) =>
  JSON_TYPE.test(c.req.header("content-type") ?? "") ? jsonBody(c, next) : next();

const STATUS_TEXT: Record<number, string> = {
  400: "Malformed JSON, query or header",
  401: "Not signed in, or the session ended",
  403: "Not allowed for this user, or a cross-site request carrying the session cookie",
  404: "Not found, or not yours",
  409: "Conflict (version, idempotency in progress, or a domain rule)",
  410: "Cursor older than the change log's retention",
  405: "Method not allowed (see Allow)",
  406: "Not acceptable (see the Accept the operation needs)",
  411: "Content-Length required",
  413: "Too large",
  415: "Unsupported media type",
  416: "Range not satisfiable",
  422: "Validation failed (zod issues in details)",
  426: "Upgrade required",
  429: "Rate limited (see Retry-After)",
  503: "Database unavailable (see Retry-After)",
};

export const ErrorBody = errorSchema.meta({ id: "Error" });

/** Error responses, all with the SPEC's error body. */
export function errors(...statuses: number[]) {
  const out: Record<number, { description: string; content: { "application/json": { schema: ZodType } } }> = {};
  for (const s of statuses)
    out[s] = { description: STATUS_TEXT[s] ?? "Error", content: { "application/json": { schema: ErrorBody } } };
  return out;
}

/** A JSON request or response body. */
export const jsonContent = <T extends ZodType>(schema: T, description = "") => ({
  description,
  content: { "application/json": { schema } },
});
export const jsonRequest = <T extends ZodType>(schema: T, example?: object) => ({
  body: { content: { "application/json": example ? { schema, example } : { schema } }, required: true },
});

/** A raw byte body (audio uploads and streams). */
export const binary = z.string().meta({ format: "binary" });

/** `{id}` and friends in paths: any string; a malformed one is a 404 from the handler. */
export const idParam = <K extends string>(...names: K[]) =>
  z.object(Object.fromEntries(names.map((n) => [n, z.string()])) as Record<K, z.ZodString>);

/** Request headers every mutation may send (documented once). */
const mutationHeaders = z.object({
  "idempotency-key": z.string().min(1).max(255).optional(),
  "if-match": z.string().optional(),
  "x-client-id": z.string().optional(),
});

/** What a route needs from the request pipeline (see the file comment). */
export interface RouteTraits {
  /**
   * "required" (default): signed in. "none": no session. "optional": the
   * session if there is a live one (`c.var.user` is unset otherwise), never 401.
   */
  session?: "required" | "optional" | "none";
  /**
   * Only with a required session: the handler runs before the session is
   * confirmed, so its context (env.ts `PipelinedEnv`) offers the database and
   * `user.id` only; anything else waits for `confirmed(c)`. One round trip for
   * a read or a keyed write.
   */
  pipelined?: boolean;
  /** Idempotency-Key handling for a signed-in mutation (default true; false: never stored, e.g. a secret in the body). */
  idempotent?: boolean;
  /** A database handle for the request (default true). */
  db?: boolean;
}

type Declared = Omit<RouteConfig, "responses"> &
  RouteTraits & {
    responses: RouteConfig["responses"];
    /** Error statuses besides the ones every signed-in route has (401, 503). */
    errors?: readonly number[];
    /**
     * How to answer a retry from the committed outcome when the stored response
     * is missing, for a route whose reply is not simply the record it wrote last
     * (middleware/idempotency.ts).
     */
    rebuild?: Rebuild;
  };

/** The media type of a declared request body: JSON, another one (binary), or none. */
function bodyKind(config: Pick<RouteConfig, "request">): "json" | "binary" | "none" {
  const content = config.request?.body?.content;
  if (!content) return "none";
  return content["application/json"] !== undefined ? "json" : "binary";
}

/** The route middleware its traits call for, in the order they must run. */
function middlewareFor(traits: RouteTraits, body: "json" | "binary" | "none"): MiddlewareHandler<AppEnv>[] {
  const { session = "required", pipelined = false, idempotent = true, db = true } = traits;
  if (pipelined && session !== "required") throw new Error("only a required session can be pipelined");
  const auth = session === "required" ? (pipelined ? pipelinedAuth : requireAuth) : optionalAuth;
  return [
    body === "binary" ? jsonUnlessBinary : jsonBody,
    ...(db ? [database] : []),
    ...(body === "json" ? [storableJson] : []),
    ...(session === "none" ? [] : idempotent ? [idempotency, auth, idempotencyGate] : [auth]),
  ];
}

const MUTATING = new Set(["post", "put", "patch", "delete"]);

/** "listInboxItems" → "List inbox items". */
const sentence = (operationId: string) => {
  const words = operationId
    .replace(/([A-Z])/g, " $1")
    .toLowerCase()
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const rebuildWith =
  (rebuild: Rebuild): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    c.set("rebuild", rebuild);
    await next();
  };

/** Declares one operation (see the file comment). */
export function route<const R extends Declared>(config: R) {
  const { session = "required", pipelined, idempotent, db, rebuild, errors: statuses = [], ...rest } = config;
  const summary = rest.summary ?? (rest.operationId ? sentence(rest.operationId) : undefined);
  const user = session !== "none";
  const mutating = MUTATING.has(rest.method);
  const all = [
    ...new Set([
      ...statuses,
      ...(session === "required" ? [401] : []),
      // 400: a malformed Idempotency-Key / If-Match / X-Client-Id (mutationHeaders, middleware/idempotency.ts);
      // 403: a cookie-authenticated mutation from another origin (middleware/request.ts `sameOrigin`).
      ...(mutating && user ? [400, 403, 409, 422] : []),
      503,
    ]),
  ];
  const middleware = [
    ...(rebuild ? [rebuildWith(rebuild)] : []),
    ...middlewareFor({ session, pipelined, idempotent, db }, bodyKind(rest)),
  ];
  return createRoute({
    ...rest,
    ...(summary ? { summary } : {}),
    middleware,
    ...(user ? { security: [{ bearer: [] }, { cookie: [] }] } : { security: [] as Record<string, string[]>[] }),
    request: {
      ...rest.request,
      ...(mutating && user && !rest.request?.headers ? { headers: mutationHeaders } : {}),
    },
    responses: { ...rest.responses, ...errors(...all.sort()) },
  } as R);
}

type Part<R, K extends string> = R extends { request?: infer Q }
  ? Q extends Record<K, infer S extends ZodType>
    ? S
    : never
  : never;
type JsonPart<R> = R extends {
  request?: { body?: { content: { "application/json": { schema: infer S extends ZodType } } } };
}
  ? S
  : never;
type Out<T extends string, S> = [S] extends [never]
  ? {}
  : S extends ZodType
    ? { in: { [K in T]: z.input<S> }; out: { [K in T]: z.output<S> } }
    : {};
/** What `c.req.valid(…)` returns for each part of a declared route. */
type InputOf<R> = Out<"json", JsonPart<R>> &
  Out<"query", Part<R, "query">> &
  Out<"param", Part<R, "params">> &
  Out<"header", Part<R, "headers">>;

/**
 * The handler's context, from the route's traits. A route whose `pipelined`
 * is `boolean` (a shared helper such as http/crud.ts) gets the pipelined one:
 * a handler written for it runs correctly either way.
 */
type EnvOf<R> = R extends { pipelined: infer P } ? (true extends P ? PipelinedEnv : SessionEnvOf<R>) : SessionEnvOf<R>;
type SessionEnvOf<R> = R extends { session: "none" }
  ? PublicEnv
  : R extends { session: "optional" }
    ? OptionalSessionEnv
    : AppEnv;

/** Adds a declared route to `app`; the handler's input (`c.req.valid(…)`) is typed from the route's schemas, its context from the route's traits. */
export function register<R extends RouteConfig>(
  app: Api,
  config: R,
  handler: Handler<EnvOf<R>, string, NoInfer<InputOf<R>>, Response | Promise<Response>>,
): void {
  app.openapi(config as never, handler as never);
}

/**
 * Puts a schema with a `.meta({ id })` into the document's components even
 * when no route refers to it (e.g. the record types an export's files hold).
 * `registry.register()` would need zod-openapi's `.openapi()` on the schema;
 * a "schema" definition is what it adds underneath, and the generator names it by its id.
 */
export function documentSchema(app: Api, schema: ZodType): void {
  (app.openAPIRegistry as unknown as { _definitions: { type: "schema"; schema: ZodType }[] })._definitions.push({
    type: "schema",
    schema,
  });
}

/**
 * In a pipelined handler: waits for the session check (no extra round trip
 * once a query has carried it; sent alone otherwise) and returns the full
 * context — the confirmed user and the bindings. Throws if the session was
 * refused; the middleware then answers 401 (or replays the key).
 */
export async function confirmed<P extends string, I extends Input>(
  c: Context<PipelinedEnv, P, I>,
): Promise<Context<AppEnv, P, I>> {
  await c.var.confirmSession();
  return c as unknown as Context<AppEnv, P, I>;
}
