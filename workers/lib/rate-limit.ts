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
export async function enforceRateLimit(
  limiter: RateLimit,
  key: string,
  message = "Too many attempts. Please wait a minute and try again.",
): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success)
    throw new AppError(429, ErrorCode.rate_limited, message, { headers: { "Retry-After": String(WINDOW_S) } });
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
 * Writes that reach another user's change log (README "Limits"): per (actor,
 * owner) in SOCIAL_PAIR_LIMITER — a storm on one owner's loops is stopped for
 * that owner only, and the owner's own writes never share the actor's budget —
 * then per actor across all owners (SOCIAL_LIMITER). The pair is checked first
 * so a refused storm doesn't also spend the actor's budget for everyone else.
 */
export async function limitSocial(env: Env, actor: string, owner: string): Promise<void> {
  await enforceRateLimit(
    env.SOCIAL_PAIR_LIMITER,
    `social:${actor}:${owner}`,
    "Too many likes, remixes or plays of this user's loops. Please wait a minute and try again.",
  );
  await enforceRateLimit(
    env.SOCIAL_LIMITER,
    `social:${actor}`,
    "Too many likes, remixes or plays of other people's loops. Please wait a minute and try again.",
  );
}
/** Plays per (user, loop) (PLAY_LIMITER), on top of limitSocial for another user's loop. */
export const limitPlay = (env: Env, actor: string, loopId: string) =>
  enforceRateLimit(env.PLAY_LIMITER, `play:${actor}:${loopId}`);
