/**
 * The local relay (scripts/relay.ts) opens only onto the database port, and
 * never for a browser (any upgrade carrying an Origin) — its SQL-over-HTTP
 * endpoint (`/sql`, on both of its ports) neither.
 */
import { once } from "node:events";
import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { startRelay, type Relay } from "../../scripts/relay.ts";

let db: Server; // stands in for Postgres: echoes bytes
let other: Server; // another local service the relay must not reach
let relay: Relay;
const portOf = (s: Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  const echo = () => createServer((sock) => sock.pipe(sock));
  db = echo().listen(0, "127.0.0.1");
  other = echo().listen(0, "127.0.0.1");
  await Promise.all([once(db, "listening"), once(other, "listening")]);
  relay = await startRelay({ port: 0, dbPort: portOf(db) });
});

afterAll(async () => {
  await relay.close();
  db.close();
  other.close();
});

const connect = (port: number, headers: Record<string, string> = {}) =>
  new WebSocket(`ws://127.0.0.1:${relay.port}/v1?address=127.0.0.1:${port}`, { headers });

describe("local relay", () => {
  test("relays bytes to the database port", async () => {
    const ws = connect(portOf(db));
    await once(ws, "open");
    ws.send(Buffer.from("hello"));
    const [data] = await once(ws, "message");
    expect(Buffer.from(data as Buffer).toString()).toBe("hello");
    ws.close();
  });

  test("refuses any other port, even on loopback", async () => {
    const ws = connect(portOf(other));
    const [code, reason] = await once(ws, "close");
    expect(code).toBe(1008);
    expect(String(reason)).toMatch(/only the local database/);
  });

  test("refuses an upgrade that carries an Origin (a web page)", async () => {
    for (const origin of ["http://localhost:8787", "https://evil.example", "null"]) {
      const ws = connect(portOf(db), { origin });
      ws.on("error", () => {}); // the refused handshake also surfaces as an error
      const [, res] = await once(ws, "unexpected-response");
      expect((res as { statusCode: number }).statusCode, origin).toBe(401);
      (res as { destroy(): void }).destroy();
    }
  });

  test("its /sql endpoint refuses a browser and any database but the local one", async () => {
    for (const port of [relay.port, relay.sqlPort]) {
      const post = (headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${port}/sql`, {
          method: "POST",
          headers: { "neon-raw-text-output": "true", ...headers },
          body: JSON.stringify({ query: "select 1", params: [] }),
        });
      const fromPage = await post({
        origin: "https://evil.example",
        "neon-connection-string": `postgres://u:p@127.0.0.1:${portOf(db)}/x`,
      });
      expect(fromPage.status).toBe(401);
      const elsewhere = await post({ "neon-connection-string": `postgres://u:p@127.0.0.1:${portOf(other)}/x` });
      expect(elsewhere.status).toBe(400);
      expect(((await elsewhere.json()) as { message: string }).message).toMatch(/only reaches the local database/);
    }
  });
});
