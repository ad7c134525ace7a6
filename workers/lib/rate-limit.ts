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
 * The studio's limits (README "Limits"), counted in Postgres by the call that
 * does the write (continuum_rate, db/migrations/0035): a like, remix or play
 * of another user's loop counts per (actor, owner) — a storm on one owner's
 * loops is stopped for that owner only, and the owner's own writes never share
 * the actor's budget — then per actor across all owners; the pair is checked
 * first so a refused storm doesn't also spend the actor's budget for everyone
 * else. Plays count per (user, loop) before both. In the database rather than
 * in a Rate Limiting binding so the charge rides in the batch the session check
 * leads: an unconfirmed request charges nothing, and the write needs no read of
 * the loop's owner before it. Windows are wall-clock minutes.
 */
export const STUDIO_RATES = { perOwner: 60, perActor: 120, playsPerLoop: 10 } as const;

const STUDIO_RATE_MESSAGES: Record<string, string> = {
  pair: "Too many likes, remixes or plays of this user's loops. Please wait a minute and try again.",
  actor: "Too many likes, remixes or plays of other people's loops. Please wait a minute and try again.",
  play: "Too many plays of this loop. Please wait a minute and try again.",
};

/** The 429 for a studio limit the database refused (`rate_limited:<pair|actor|play>`). */
export const studioRateLimited = (kind: string) =>
  new AppError(429, ErrorCode.rate_limited, STUDIO_RATE_MESSAGES[kind] ?? STUDIO_RATE_MESSAGES.actor!, {
    headers: { "Retry-After": String(WINDOW_S) },
  });
