/**
 * CSRF and cross-site WebSocket hijacking defence, for every request that is
 * authenticated by the session cookie (the one credential a browser attaches
 * on its own). A mutation (POST/PUT/PATCH/DELETE) or a WebSocket upgrade that
 * carries the cookie must come from the app's own origin:
 *
 *  - `Origin` present → it must equal the request's own origin (`null` never does);
 *  - no `Origin` but `Sec-Fetch-Site` → it must be `same-origin` (or `none`:
 *    typed by the user);
 *  - neither → not a browser (browsers send `Origin` on every non-GET fetch,
 *    form post and WebSocket), allowed.
 *
 * Bearer-token clients (`Authorization: Bearer`) and requests without the
 * cookie are not affected: nothing ambient authenticates them. Hono's `csrf()`
 * only looks at form content types and never at upgrades, hence this one.
 */
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors";
import { SESSION_COOKIE } from "./auth";
import { ErrorCode } from "../protocol/rules";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function isCrossSite(req: { url: string; header(name: string): string | undefined }): boolean {
  const origin = req.header("origin");
  if (origin !== undefined) return origin !== new URL(req.url).origin;
  const site = req.header("sec-fetch-site");
  return site !== undefined && site !== "same-origin" && site !== "none";
}

export const sameOrigin = createMiddleware(async (c, next) => {
  const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
  if (
    (upgrade || UNSAFE.has(c.req.method)) &&
    !/^bearer /i.test(c.req.header("authorization") ?? "") &&
    getCookie(c, SESSION_COOKIE) !== undefined &&
    isCrossSite(c.req)
  )
    throw new AppError(
      403,
      ErrorCode.cross_site_request,
      "Requests signed in with the session cookie must come from this app.",
    );
  await next();
});
