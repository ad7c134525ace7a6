import { logFields } from "../errors";
import type { ServerMessage } from "../protocol/sync";

/** The user's Durable Object (one per user, by name). */
export const userHub = (env: Env, userId: string) => env.USER_HUB.getByName(userId);

/**
 * Push committed changes to the user's open sockets. Best effort: the change
 * log is the truth, and a client that misses this pulls by cursor.
 */
export async function relayChanges(env: Env, userId: string, message: ServerMessage): Promise<void> {
  try {
    await userHub(env, userId).broadcast(JSON.stringify(message));
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", msg: "relay failed", user_id: userId, ...logFields(err) }));
  }
}

const CLOSE_ATTEMPTS = 3;

/**
 * Closes the sockets of ended sessions (logout, revoke, expiry). Unlike the
 * relay this is not best effort: a revoked device must lose its live feed. A
 * failing call is retried (a fresh stub each time: a broken stub stays broken);
 * if every attempt fails the failure is logged and resolves to false, and the
 * hub's own alarm closes the sockets when it next checks their sessions
 * against Postgres (do/user-hub.ts).
 */
export async function endSessionSockets(env: Env, userId: string, sessionIds: string[]): Promise<boolean> {
  let error: unknown;
  for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
    try {
      await userHub(env, userId).closeSessions(sessionIds);
      return true;
    } catch (err) {
      error = err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "closing sockets of ended sessions failed; the hub's alarm will close them",
      user_id: userId,
      session_ids: sessionIds,
      ...logFields(error),
    }),
  );
  return false;
}

/** From a request: closes after the response, on the request's execution context. */
export const closeSessionSockets = (
  c: { env: Env; executionCtx: { waitUntil(p: Promise<unknown>): void } },
  userId: string,
  sessionIds: string[],
) => c.executionCtx.waitUntil(endSessionSockets(c.env, userId, sessionIds));
