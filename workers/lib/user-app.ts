import { Hono } from "hono";
import type { AppEnv } from "../env";
import { requireAuth } from "../middleware/auth";
import { idempotency } from "../middleware/idempotency";

/** A router for signed-in users: authenticated, and every mutation idempotent. */
export const userApp = () => new Hono<AppEnv>().use(requireAuth, idempotency);
