/**
 * Auth rate limits (Workers Rate Limiting bindings; simulated by miniflare
 * locally). Keys never come from headers a client can forge: the address is
 * `CF-Connecting-IP`, which Cloudflare's edge sets (overwriting anything the
 * client sent). `X-Forwarded-For` is never read. Without `CF-Connecting-IP`
 * (a local runtime that doesn't set it) every such request shares one
 * `unknown` bucket: stricter, never looser.
 */
import { AppError } from "../errors";
import { ErrorCode } from "../protocol/rules";

const WINDOW_S = 60; // the period of both limiters in wrangler.toml

/** 429 with Retry-After when `key` is over `limiter`'s budget. */
export async function enforceRateLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success)
    throw new AppError(429, ErrorCode.rate_limited, "Too many attempts. Please wait a minute and try again.", {
      headers: { "Retry-After": String(WINDOW_S) },
    });
}

export const clientIp = (req: { header(n: string): string | undefined }) =>
  req.header("cf-connecting-ip")?.trim() || "unknown";

/**
 * A login attempt counts against (ip, account) in AUTH_LIMITER and against the
 * account alone, from any address, in ACCOUNT_LIMITER. `account` is the user's
 * id when the login names one — so its email and its username are one bucket —
 * else the normalised login (unknown accounts are limited exactly alike, so a
 * 429 reveals nothing about which accounts exist).
 */
export async function limitLogin(env: Env, ip: string, account: string): Promise<void> {
  await enforceRateLimit(env.AUTH_LIMITER, `login:${ip}:${account}`);
  await enforceRateLimit(env.ACCOUNT_LIMITER, `login:${account}`);
}
