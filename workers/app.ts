/**
 * The Hono app: middleware for every /api request, then the domains listed in
 * routes/index.ts, the OpenAPI document and the docs page. workers/index.ts
 * wraps it with the scheduled handler and the Durable Object export;
 * scripts/openapi.ts loads it in Node to write the document for the linter.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env";
import { AppError, onError } from "./errors";
import { validationHook } from "./http/openapi";
import { sameOrigin } from "./middleware/request";
import { mountDocs } from "./routes/docs";

export { openapiDocument } from "./routes/docs";
import { domains } from "./routes/index";
import { documentRecordSchemas } from "./routes/your-data";
import { ErrorCode } from "./protocol/rules";

/** Clients derive their clock offset from `Date` (Cloudflare sets it in production; local workerd doesn't). */
const serverDate: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.has("date")) c.header("Date", new Date().toUTCString());
};

export const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
// What every request gets; the rest (JSON checks, the database, the session)
// each route declares in `route()` (http/openapi.ts).
app
  .use("/api/*", requestId(), secureHeaders(), serverDate, sameOrigin)
  // MCP (routes/mcp.ts): the same request basics; the SDK's transport checks its own media types.
  .use("/mcp", requestId(), secureHeaders(), serverDate);

// No-DB baseline for the bench.
app.get("/api/ping", (c) => c.json({ ok: true }));
mountDocs(app);
for (const { path, app: domain } of domains) app.route(path, domain);
documentRecordSchemas(app);

app.notFound((c) =>
  onError(new AppError(404, ErrorCode.not_found, `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`), c),
);
app.onError(onError);
