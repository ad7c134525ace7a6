/**
 * UserHub: one Durable Object per user (by name = user id). It holds that
 * user's WebSockets with the Hibernation API and relays committed changes.
 * It is never the source of truth and keeps no state of its own beyond the
 * sockets: an evicted hub loses nothing, clients reconnect and pull by cursor.
 */
import { DurableObject } from "cloudflare:workers";
import { PING, PONG, type ServerMessage } from "../protocol/sync";

/** Kept with each socket across hibernation (small: ids only). */
interface Attachment {
  sessionId: string;
  clientId: string | null;
  connectedAt: string;
}

export class UserHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** WebSocket upgrade, forwarded by GET /api/sync/ws after authentication. */
  override async fetch(request: Request): Promise<Response> {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const sessionId = request.headers.get("x-session-id") ?? "";
    this.ctx.acceptWebSocket(server, [`session:${sessionId}`]);
    server.serializeAttachment({
      sessionId,
      clientId: request.headers.get("x-client-id"),
      connectedAt: new Date().toISOString(),
    } satisfies Attachment);
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

  /** RPC: a device signed out or was revoked — drop its sockets. */
  async closeSession(sessionId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets(`session:${sessionId}`)) {
      try {
        ws.close(4001, "session ended");
      } catch {
        // already closed
      }
    }
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
