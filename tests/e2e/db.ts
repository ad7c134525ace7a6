/**
 * Straight SQL from the Node side of e2e tests, for setup the API can't do
 * (time travel: a session that has "run" for an hour). Same driver and relay
 * as everything else.
 */
import { neonConfig, Pool } from "@neondatabase/serverless";
import ws from "ws";

export function testDb(url: string, wsProxy: string) {
  neonConfig.webSocketConstructor = ws;
  neonConfig.wsProxy = (host, port) => `${wsProxy}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => {});
  return {
    query: (text: string, params: unknown[] = []) => pool.query(text, params).then((r) => r.rows),
    close: () => pool.end().catch(() => {}),
  };
}
