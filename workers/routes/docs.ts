/**
 * The API description (SPEC §5): GET /api/openapi.json (OpenAPI 3.1, generated
 * from the zod schemas the routes validate with) and GET /api/docs (Scalar's
 * interactive reference). The docs page loads Scalar's bundle from this
 * Worker's own static assets (copied there by the web build), with its default
 * fonts off, so it works with no other host reachable.
 */
import { Scalar } from "@scalar/hono-api-reference";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";

export const OPENAPI_INFO = {
  title: "Continuum API",
  version: "1.0.0",
  description:
    "Every piece of a Continuum user's state, over HTTP. Errors share one body (`Error`); mutations accept " +
    "`Idempotency-Key` and `If-Match`; changes flow through `/api/sync/changes` and the `/api/sync/ws` socket.",
};

/** Scalar's standalone bundle, served as a static asset (see vite.config.ts). */
export const SCALAR_BUNDLE = "/docs/scalar.js";

/** The whole document, as served (the linter reads the same through scripts/openapi.ts). */
export const openapiDocument = (app: OpenAPIHono<AppEnv>, origin: string) =>
  app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: OPENAPI_INFO,
    servers: [{ url: origin }],
    security: [{ bearer: [] }, { cookie: [] }],
  });

export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A session token (from signup/login) or a personal access token.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "cookie", { type: "apiKey", in: "cookie", name: "session" });

  app.get("/api/openapi.json", (c) => c.json(openapiDocument(app, new URL(c.req.url).origin)));
  app.get(
    "/api/docs",
    async (c, next) => {
      await next();
      // Only this origin: the bundle, the document and try-it requests.
      c.header(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
      );
    },
    Scalar({
      url: "/api/openapi.json",
      pageTitle: "Continuum API",
      cdn: SCALAR_BUNDLE,
      withDefaultFonts: false,
      hideClientButton: true,
      // Nothing that needs Scalar's own services (this page must work offline).
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: "never",
    }),
  );
}
