/**
 * The Hono app: middleware for every /api request, then the domains listed in
 * routes/index.ts, the OpenAPI document and the docs page. workers/index.ts
 * wraps it with the scheduled handler and the Durable Object export;
 * scripts/openapi.ts loads it in Node to write the document for the linter.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env";
import { AppError, errorBody, onError } from "./errors";
import { validationHook } from "./lib/openapi";
import { requireJson } from "./middleware/content-type";
import { database } from "./middleware/db";
import { sameOrigin } from "./middleware/same-origin";
import { isAudioUpload } from "./routes/audio";
import { mountDocs } from "./routes/docs";

export { openapiDocument } from "./routes/docs";
import { domains } from "./routes/index";
import { documentRecordSchemas } from "./routes/your-data";
import { ErrorCode } from "./protocol/rules";

/** JSON bodies are small; audio has its own streaming limits. */
const JSON_BODY_LIMIT = 256 * 1024;
/** The JSON-only middleware, skipped for the two audio upload routes (binary streams). */
const jsonOnly =
  (mw: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
  (c, next) =>
    isAudioUpload(c.req) ? next() : mw(c, next);

/** Clients derive their clock offset from `Date` (Cloudflare sets it in production; local workerd doesn't). */
const serverDate: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.has("date")) c.header("Date", new Date().toUTCString());
};

/** Routes that never touch the database (and open no pool). */
const NO_DB = new Set(["/api/ping", "/api/openapi.json", "/api/docs", "/api/demo"]);

export const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
app
  .use("/api/*", requestId(), secureHeaders(), serverDate, sameOrigin, jsonOnly(requireJson))
  .use(
    "/api/*",
    jsonOnly(
      bodyLimit({
        maxSize: JSON_BODY_LIMIT,
        onError: () => {
          throw new AppError(
            413,
            ErrorCode.payload_too_large,
            `Request bodies are limited to ${JSON_BODY_LIMIT / 1024} KB.`,
          );
        },
      }),
    ),
  )
  .use("/api/*", (c, next) => (NO_DB.has(c.req.path) ? next() : database(c, next)))
  // MCP (routes/mcp.ts): the same request basics; the SDK's transport checks its own media types.
  .use("/mcp", requestId(), secureHeaders(), serverDate, database);

// No-DB baseline for the bench.
app.get("/api/ping", (c) => c.json({ ok: true }));
mountDocs(app);
for (const { path, app: domain } of domains) app.route(path, domain);
documentRecordSchemas(app);

app.notFound((c) =>
  c.json(errorBody(ErrorCode.not_found, `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`), 404),
);
app.onError(onError);
