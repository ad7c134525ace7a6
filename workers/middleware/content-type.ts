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
