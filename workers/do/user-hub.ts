/**
 * UserHub: one Durable Object per user (by name = user id). It holds that
 * user's WebSockets with the Hibernation API and relays committed changes.
 * It is never the source of truth and keeps no state of its own beyond the
 * sockets: an evicted hub loses nothing, clients reconnect and pull by cursor.
 *
 * A socket must not outlive its session. Each socket's attachment carries its
 * session's expiry, and an alarm (at the earliest expiry, and at least every
 * RECHECK_MS while sockets are open) checks the sockets' sessions against
 * Postgres: sockets of sessions that are gone (revoked, signed out, pruned)
 * or expired are closed with 4001; a session that slid gets its new expiry.
 * If Postgres is unreachable the alarm closes what its attachments say has
 * expired and tries again soon. Logout, revoke and the prune job also close
 * sockets directly (closeSessions) — the alarm is the backstop.
 */
import { DurableObject } from "cloudflare:workers";
import { and, gt, inArray, sql } from "drizzle-orm";
import { openDb } from "../../db/client";
import { sessions } from "../../db/schema";
import { AppError } from "../errors";
import { isUuid } from "../protocol/common";
import { ErrorCode } from "../protocol/rules";
import { PING, PONG, type ServerMessage } from "../protocol/sync";

/** Kept with each socket across hibernation (small: ids and the expiry). */
interface Attachment {
  sessionId: string;
  clientId: string | null;
  connectedAt: string;
  /** The session's expiry as last known (ms since epoch). */
  expiresAt: number;
}

/** Closed because the session ended; clients treat it as "signed out" (and re-check with /me). */
export const SESSION_ENDED = 4001;
const RECHECK_MS = 3_600_000;
/** Live sockets per user (every tab of every device). */
export const MAX_SOCKETS = 20;
const RETRY_MS = 60_000;

export class UserHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** WebSocket upgrade, forwarded by GET /api/sync/ws after authentication. */
  override async fetch(request: Request): Promise<Response> {
    // Bounded (README "Limits"): past MAX_SOCKETS a new socket is refused, never an old one
    // dropped (that would make reconnecting clients evict each other); the client polls instead.
    if (this.ctx.getWebSockets().length >= MAX_SOCKETS)
      return new AppError(
        429,
        ErrorCode.rate_limited,
        `At most ${MAX_SOCKETS} live connections per account; this device will poll instead.`,
        { details: { limit: MAX_SOCKETS }, headers: { "Retry-After": "60" } },
      ).getResponse();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const sessionId = request.headers.get("x-session-id") ?? "";
    const expiresAt = Number(request.headers.get("x-session-expires")) || Date.now() + RECHECK_MS;
    this.ctx.acceptWebSocket(server, [`session:${sessionId}`]);
    server.serializeAttachment({
      sessionId,
      clientId: request.headers.get("x-client-id"),
      connectedAt: new Date().toISOString(),
      expiresAt,
    } satisfies Attachment);
    await this.schedule(expiresAt);
    const hello: ServerMessage = { type: "hello", cursor: request.headers.get("x-hello-cursor") ?? "0" };
    server.send(JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** RPC from the Worker after a commit: send to every socket of this user. */
  async broadcast(message: string): Promise<number> {
    let sent = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(message);
        sent++;
      } catch {
        // A socket that is already closing; its client will reconnect and pull.
      }
    }
    return sent;
  }

  /** RPC: devices signed out, were revoked or expired — drop their sockets. Returns how many were closed. */
  async closeSessions(sessionIds: string[]): Promise<number> {
    let closed = 0;
    for (const id of sessionIds) for (const ws of this.ctx.getWebSockets(`session:${id}`)) closed += end(ws);
    return closed;
  }

  /** Checks every socket's session (see the header comment). */
  override async alarm(): Promise<void> {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const now = Date.now();
    let live: Map<string, number> | undefined;
    try {
      live = await this.liveSessions([...new Set(sockets.map((ws) => attachment(ws).sessionId))]);
    } catch {
      // Postgres unreachable: fall back to the expiries we know, and look again soon.
    }
    let next = live ? now + RECHECK_MS : now + RETRY_MS;
    for (const ws of sockets) {
      const a = attachment(ws);
      const expiresAt = live ? (live.get(a.sessionId) ?? 0) : a.expiresAt;
      if (expiresAt <= now) {
        end(ws);
        continue;
      }
      if (expiresAt !== a.expiresAt) ws.serializeAttachment({ ...a, expiresAt } satisfies Attachment);
      next = Math.min(next, expiresAt);
    }
    if (this.ctx.getWebSockets().length > 0) await this.ctx.storage.setAlarm(next);
  }

  /** Live sessions among `ids` with their expiry (ms). */
  private async liveSessions(ids: string[]): Promise<Map<string, number>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const handle = openDb(this.env);
    // Housekeeping of this user's sockets, outside any request: the jobs role (it reads only the
    // expiry of the sessions its own sockets carry).
    handle.asJobs();
    try {
      const rows = await handle.db
        .select({ id: sessions.id, expiresAt: sessions.expiresAt })
        .from(sessions)
        .where(and(inArray(sessions.id, valid), gt(sessions.expiresAt, sql`now()`)));
      return new Map(rows.map((r) => [r.id, r.expiresAt.getTime()]));
    } finally {
      this.ctx.waitUntil(handle.close());
    }
  }

  /** Makes sure an alarm fires by `at` (and within RECHECK_MS). */
  private async schedule(at: number): Promise<void> {
    const due = Math.min(at, Date.now() + RECHECK_MS);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Only ping is part of the protocol (and normally auto-answered).
    if (message === PING) ws.send(PONG);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }
}

const attachment = (ws: WebSocket) => ws.deserializeAttachment() as Attachment;

function end(ws: WebSocket): number {
  try {
    ws.close(SESSION_ENDED, "session ended");
    return 1;
  } catch {
    return 0; // already closed
  }
}
