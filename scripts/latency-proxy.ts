/**
 * A simulated network between the Worker and the database: a TCP proxy that
 * makes every byte pay half the round-trip time each way, and every new
 * connection pay the handshakes a real one would (`DB_LATENCY_MS`, see
 * docs/SCALING.md "The network model").
 *
 * The model, per TCP connection from the Worker to Neon's proxy:
 *
 *   - TCP handshake (SYN → SYN-ACK): 1 RTT before the client can send;
 *   - TLS 1.3 handshake (ClientHello → ServerHello…Finished): 1 RTT more —
 *     locally the bytes are plain (ws:// and http://), so this RTT is charged
 *     as a wait instead of being carried by real TLS records;
 *   - everything after that is real traffic and pays what it does on the wire:
 *     the WebSocket upgrade (request → 101) is 1 RTT, the Postgres startup and
 *     password exchange 1–2 RTT (1 when the driver pipelines it), each query
 *     1 RTT, an HTTP request on a kept-alive connection 1 RTT.
 *
 * So the first byte the client writes reaches the server no earlier than
 * accept + 2 RTT + RTT/2, later bytes at send time + RTT/2, responses at send
 * time + RTT/2, order preserved. Bandwidth is not limited (a round trip, not a
 * slow link, is what an edge request pays). Closing is delayed like data.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";

export interface LatencyProxy {
  port: number;
  rttMs: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Round trips a new connection pays before its first byte of payload: TCP + TLS 1.3. */
export const HANDSHAKE_RTTS = 2;

/** Delivers chunks to `to` at `at(now)` or later, never before an earlier chunk. */
function delayedPipe(from: Socket, to: Socket, at: (now: number) => number): void {
  let last = 0;
  const schedule = (fn: () => void) => {
    const when = Math.max(at(performance.now()), last);
    last = when;
    setTimeout(fn, Math.max(0, when - performance.now()));
  };
  from.on("data", (chunk) => schedule(() => to.destroyed || to.write(chunk)));
  from.on("end", () => schedule(() => to.end()));
  from.on("close", () => schedule(() => to.destroy()));
  from.on("error", () => schedule(() => to.destroy()));
}

export function startLatencyProxy(opts: {
  /** Where the stand-ins for Neon's endpoints listen. */
  target: { host: string; port: number };
  rttMs: number;
  port?: number;
}): Promise<LatencyProxy> {
  const half = opts.rttMs / 2;
  let count = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    count++;
    const accepted = performance.now();
    const upstream = createConnection(opts.target);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      open.add(s);
      s.on("close", () => open.delete(s));
    }
    const firstByte = accepted + HANDSHAKE_RTTS * opts.rttMs + half;
    delayedPipe(client, upstream, (now) => Math.max(now + half, firstByte));
    delayedPipe(upstream, client, (now) => now + half);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        rttMs: opts.rttMs,
        connections: () => count,
        close: () =>
          new Promise<void>((r) => {
            for (const s of open) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}

/** `DB_LATENCY_MS` from the environment (default 0 = no proxy in the path). */
export function latencyFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DB_LATENCY_MS?.trim();
  if (!raw) return 0;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0 || ms > 10_000)
    throw new Error(`DB_LATENCY_MS must be a number of milliseconds (0–10000), got "${raw}"`);
  return ms;
}
