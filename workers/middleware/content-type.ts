import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors";
import { ErrorCode } from "../protocol/rules";

export const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** A mutating request that carries a body must say it is JSON (415 otherwise). */
export const requireJson = createMiddleware(async (c, next) => {
  const m = c.req.method;
  if (m === "POST" || m === "PUT" || m === "PATCH") {
    const hasBody = Number(c.req.header("content-length") ?? 0) > 0 || c.req.header("transfer-encoding") !== undefined;
    if (hasBody && !JSON_TYPE.test(c.req.header("content-type") ?? ""))
      throw new AppError(415, ErrorCode.unsupported_media_type, "Send the request body as application/json.");
  }
  await next();
});

/** JSON bodies are small; audio has its own streaming limits. */
export const JSON_BODY_LIMIT = 256 * 1024;

const jsonLimit = bodyLimit({
  maxSize: JSON_BODY_LIMIT,
  onError: () => {
    throw new AppError(413, ErrorCode.payload_too_large, `Request bodies are limited to ${JSON_BODY_LIMIT / 1024} KB.`);
  },
});

/**
 * A body sent without Content-Length is read now, through the limit (hono
 * keeps it for the parsers): an oversized stream is 413 before the session or
 * token is checked and before anything parses it, as a declared one is.
 */
const readUnsizedBody = createMiddleware(async (c, next) => {
  if (c.req.raw.body && !c.req.header("content-length")) await c.req.arrayBuffer();
  await next();
});

/** A route that takes JSON (or no body): the media type check, then the size limit. */
export const jsonBody = createMiddleware(async (c, next) => {
  await requireJson(c, async () => {
    const refused = await jsonLimit(c, async () => {
      await readUnsizedBody(c, next);
    });
    if (refused instanceof Response) c.res = refused;
  });
});
