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
    console.warn(JSON.stringify({ level: "warn", msg: "relay failed", user_id: userId, error: String(err) }));
  }
}
