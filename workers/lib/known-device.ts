/**
 * "A device this account signed in on before", for the login limits
 * (lib/rate-limit.ts): after a successful sign-in the browser gets an
 * HttpOnly cookie `known_device=<user id>.<mac>`, the mac being
 * HMAC-SHA-256(key = the account's stored password hash, "known-device:<user id>").
 * Only the server can make one (the hash never leaves the database), no table
 * holds them, and a password change forgets every device at once (new hash,
 * new mac). It only exempts a login from the per-account budget; the per-address
 * limits still apply.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "./crypto";

const COOKIE = "known_device";
const MAX_AGE_S = 365 * 24 * 3600;

async function mac(passwordHash: string, userId: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(passwordHash),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`known-device:${userId}`)));
}

const b64url = (b: Uint8Array) =>
  btoa(String.fromCharCode(...b))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** True when the request carries this account's known-device cookie. */
export async function isKnownDevice(c: Context, user: { id: string; passwordHash: string } | undefined) {
  const value = getCookie(c, COOKIE);
  if (!user || !value) return false;
  const [id, sent] = value.split(".");
  if (id !== user.id || !sent) return false;
  const want = new TextEncoder().encode(b64url(await mac(user.passwordHash, user.id)));
  return timingSafeEqual(new TextEncoder().encode(sent), want);
}

/** After a successful sign-in (or password change): remember this browser for the account. */
export async function rememberDevice(c: Context, user: { id: string; passwordHash: string }) {
  setCookie(c, COOKIE, `${user.id}.${b64url(await mac(user.passwordHash, user.id))}`, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/api/auth",
    maxAge: MAX_AGE_S,
  });
}
