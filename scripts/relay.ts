/**
 * A WebSocket-to-TCP relay speaking Neon's wsproxy protocol: upgrade on
 * `GET /v1?address=host:port`, then raw Postgres bytes in binary frames both
 * ways. It lets `@neondatabase/serverless` (which only speaks WebSocket inside
 * workerd) reach a plain local Postgres.
 *
 * It is an open door into the database port, so it opens for as little as it
 * can: it listens on loopback, relays only to loopback and only to the one
 * database port it was started for (`dbPort`), and refuses every upgrade that
 * carries an `Origin` — workerd's driver sends none, while any web page the
 * developer visits could otherwise open `ws://127.0.0.1:<port>/v1` and speak
 * to Postgres (or any other local service) through it.
 */
import { createConnection } from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

export interface Relay {
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export function startRelay(opts: { port: number; host?: string; dbPort: number }): Promise<Relay> {
  const wss = new WebSocketServer({
    port: opts.port,
    host: opts.host ?? "127.0.0.1",
    path: "/v1",
    // Browsers always send Origin on a WebSocket upgrade; the Neon driver never does.
    verifyClient: (info: { req: { headers: Record<string, unknown> } }) => info.req.headers.origin === undefined,
  });
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "", "http://relay").searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const host = address.slice(0, sep);
    const port = Number(address.slice(sep + 1));
    if (!LOOPBACK.has(host) || port !== opts.dbPort) {
      ws.close(1008, "only the local database");
      return;
    }
    const tcp = createConnection({ host, port });
    tcp.setNoDelay(true);
    tcp.on("data", (chunk) => ws.send(chunk));
    tcp.on("close", () => ws.close());
    tcp.on("error", () => ws.close());
    ws.on("message", (data) => tcp.write(data as Buffer));
    ws.on("close", () => tcp.destroy());
    ws.on("error", () => tcp.destroy());
  });
  return new Promise((resolve, reject) => {
    wss.once("error", reject);
    wss.once("listening", () =>
      resolve({
        port: (wss.address() as AddressInfo).port,
        close: () =>
          new Promise((r) => {
            for (const c of wss.clients) c.terminate();
            wss.close(() => r());
          }),
      }),
    );
  });
}
