import { AppError } from "../errors";

const WINDOW_S = 60; // the AUTH_LIMITER period in wrangler.toml

/** Workers Rate Limiting binding (simulated by miniflare locally). */
export async function enforceRateLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success)
    throw new AppError(429, "rate_limited", "Too many attempts. Please wait a minute and try again.", {
      headers: { "Retry-After": String(WINDOW_S) },
    });
}

export const clientIp = (req: { header(n: string): string | undefined }) =>
  req.header("cf-connecting-ip") ?? req.header("x-forwarded-for")?.split(",")[0]?.trim() ?? "local";
