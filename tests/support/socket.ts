/** A WebSocket to GET /api/sync/ws through the real Worker, with a message queue to await on. */
import { exports } from "cloudflare:workers";
import { BASE } from "./api";

export interface TestSocket {
  messages: any[];
  next(pred?: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  /**
   * Every message not yet read, up to and including the first that matches
   * `sentinel`. "Nothing arrived" is checked this way, never by waiting a while:
   * the caller makes a write that is relayed after the would-be leak (so a leak
   * would arrive first) and expects the sentinel to be the only message.
   */
  upTo(sentinel: (m: any) => boolean, timeoutMs?: number): Promise<any[]>;
  send(data: string): void;
  close(): void;
  /** Resolves when the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
}

export async function openSocket(token: string, clientId?: string): Promise<TestSocket> {
  const headers: Record<string, string> = { Upgrade: "websocket", authorization: `Bearer ${token}` };
  if (clientId) headers["x-client-id"] = clientId;
  const res = await exports.default.fetch(new Request(`${BASE}/api/sync/ws`, { headers }));
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  ws.accept();
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const messages: any[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  ws.addEventListener("message", (e) => {
    messages.push(JSON.parse(e.data as string));
    for (const w of waiters.splice(0)) w();
  });
  const socket: TestSocket = {
    messages,
    async next(pred = () => true, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (read < messages.length) {
          const m = messages[read++];
          if (pred(m)) return m;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    async upTo(sentinel, timeoutMs) {
      const from = read;
      await socket.next(sentinel, timeoutMs);
      return messages.slice(from, read);
    },
    closed,
    send: (d) => ws.send(d),
    close: () => ws.close(1000, "done"),
  };
  return socket;
}
