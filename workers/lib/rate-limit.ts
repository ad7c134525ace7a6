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

const WINDOW_S = 60; // the period of every limiter in wrangler.toml

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
export async function limitLogin(
  env: Env,
  ip: string,
  account: string,
  opts: { knownDevice?: boolean } = {},
): Promise<void> {
  // One address across every account: guessing one password on many accounts is stopped here.
  await enforceRateLimit(env.LOGIN_IP_LIMITER, `login-ip:${ip}`);
  await enforceRateLimit(env.AUTH_LIMITER, `login:${ip}:${account}`);
  // The account from any address — except from a device this account signed in on before
  // (lib/known-device.ts): a stranger spraying guesses can't lock the owner out.
  if (!opts.knownDevice) await enforceRateLimit(env.ACCOUNT_LIMITER, `login:${account}`);
}

/**
 * Writes that reach another user's change log: per acting user (SOCIAL_LIMITER,
 * README "Limits"); a play also per (user, loop) (PLAY_LIMITER).
 */
export const limitSocial = (env: Env, actor: string) => enforceRateLimit(env.SOCIAL_LIMITER, `social:${actor}`);
export const limitPlay = (env: Env, actor: string, loopId: string) =>
  enforceRateLimit(env.PLAY_LIMITER, `play:${actor}:${loopId}`);
