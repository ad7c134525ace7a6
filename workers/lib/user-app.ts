import { Hono } from "hono";
import type { AppEnv } from "../env";
import { requireAuth } from "../middleware/auth";
import { idempotency, idempotencyGate } from "../middleware/idempotency";

/**
 * A router for signed-in users: authenticated, and every mutation idempotent.
 * Order matters: the request is fingerprinted first, the session query claims
 * its key, then the gate replays or refuses a key that was already used.
 */
export const userApp = () => new Hono<AppEnv>().use(idempotency, requireAuth, idempotencyGate);
