/**
 * The local stand-in for Neon's proxy, on one loopback port:
 *
 *  - `GET /v1?address=host:port` + WebSocket upgrade: Neon's wsproxy protocol
 *    (raw Postgres bytes in binary frames both ways), so the driver's
 *    WebSocket `Pool`/`Client` — which only speaks WebSocket inside workerd —
 *    reaches a plain local Postgres;
 *  - `POST /sql`: Neon's SQL-over-HTTP endpoint (scripts/sql-over-http.ts), for
 *    the driver's HTTP query path — also on a port of its own (`sqlPort`):
 *    Neon serves the two at different host names, so a runtime never reuses a
 *    kept-alive HTTP connection for a WebSocket upgrade; with one port it
 *    would, and the bench would count a handshake too few;
 *  - `GET /__stats`: connections and requests served so far (the bench counts
 *    the database connections a request opens with it).
 *
 * With `DB_LATENCY_MS` the Worker reaches this port through
 * scripts/latency-proxy.ts.
 *
 * It is an open door into the database port, so it opens for as little as it
 * can: it listens on loopback, reaches only the one loopback database port it
 * was started for (`dbPort`), and refuses every request that carries an
 * `Origin` — workerd's driver sends none, while any web page the developer
 * visits could otherwise open `ws://127.0.0.1:<port>/v1` (or POST to `/sql`)
 * and speak to Postgres (or any other local service) through it.
 */
import { createConnection } from "node:net";
import type { AddressInfo } from "node:net";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { WebSocketServer } from "ws";
import { sqlOverHttp } from "./sql-over-http.ts";

export interface RelayStats {
  /** TCP connections accepted (WebSocket and HTTP alike). */
  connections: number;
  /** WebSocket tunnels opened (one Postgres connection each). */
  websockets: number;
  /** SQL-over-HTTP requests. */
  sqlRequests: number;
  /** SQL-over-HTTP requests not answered yet (the bench waits for 0 before it times a request). */
  sqlInFlight: number;
}

export interface Relay {
  port: number;
  /** The same `/sql` endpoint alone on its own port. */
  sqlPort: number;
  stats(): RelayStats;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export function startRelay(opts: { port: number; host?: string; dbPort: number }): Promise<Relay> {
  const sql = sqlOverHttp({ dbPort: opts.dbPort });
  const stats: RelayStats = { connections: 0, websockets: 0, sqlRequests: 0, sqlInFlight: 0 };
  const wss = new WebSocketServer({ noServer: true });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://relay").pathname;
    // Browsers always send Origin on a cross-site POST; the Neon driver never does.
    if (req.headers.origin !== undefined) return void res.writeHead(401).end();
    if (path === "/sql") {
      stats.sqlRequests++;
      stats.sqlInFlight++;
      res.once("close", () => stats.sqlInFlight--);
      void sql.handle(req, res);
    } else if (path === "/__stats" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    } else {
      res.writeHead(404).end();
    }
  };
  const server = createServer(handle);
  const sqlServer = createServer(handle);
  for (const s of [server, sqlServer]) {
    // Queries arrive on kept-alive connections; keep them open as long as a runtime would.
    s.keepAliveTimeout = 60_000;
    s.on("connection", () => stats.connections++);
  }
  server.on("upgrade", (req, socket, head) => {
    // Browsers always send Origin on a WebSocket upgrade; the Neon driver never does.
    if (new URL(req.url ?? "/", "http://relay").pathname !== "/v1") return void socket.destroy();
    if (req.headers.origin !== undefined)
      return void socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    wss.handleUpgrade(req, socket, head, (ws) => {
      stats.websockets++;
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
  });
  const listen = (s: typeof server, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, opts.host ?? "127.0.0.1", () => resolve((s.address() as AddressInfo).port));
    });
  return Promise.all([listen(server, opts.port), listen(sqlServer, 0)]).then(([port, sqlPort]) => ({
    port,
    sqlPort,
    stats: () => ({ ...stats }),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      for (const s of [server, sqlServer]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      await sql.close();
    },
  }));
}
