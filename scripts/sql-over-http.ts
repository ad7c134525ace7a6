/**
 * A local stand-in for Neon's SQL-over-HTTP endpoint (`POST /sql`), so the
 * HTTP query path of `@neondatabase/serverless` (`neon()`, drizzle's
 * `neon-http`) runs unchanged against a plain local Postgres — as
 * scripts/relay.ts stands in for Neon's WebSocket endpoint.
 *
 * The protocol, as the driver (src/httpQuery.ts) sends and expects it and as
 * Neon's proxy (proxy/src/serverless/sql_over_http.rs) answers it:
 *
 *   request   POST /sql, JSON `{query, params}` or `{queries: [{query, params}…]}`;
 *             headers `Neon-Connection-String` (the postgres:// URL, with its
 *             password), `Neon-Raw-Text-Output: true`, `Neon-Array-Mode: true`,
 *             and for a batch optionally `Neon-Batch-Isolation-Level`
 *             (ReadUncommitted|ReadCommitted|RepeatableRead|Serializable),
 *             `Neon-Batch-Read-Only`, `Neon-Batch-Deferrable` (`true`).
 *   200       `{command, rowCount, rowAsArray, fields: [{name, dataTypeID,
 *             tableID, columnID, dataTypeSize, dataTypeModifier, format:"text"}],
 *             rows}` — rows are arrays (array mode) or objects of Postgres'
 *             text output (null for NULL); a batch answers `{results: […]}`.
 *             The driver parses the text by `dataTypeID` with pg-types, exactly
 *             as the WebSocket path does.
 *   400       a Postgres error: `{message, code (SQLSTATE), detail, hint,
 *             position, …, constraint, …}` — the driver copies these onto its
 *             NeonDbError, so `err.code === "23505"` works on both paths.
 *   500       cannot reach the database: `{message: "Couldn't connect to
 *             compute node", code}` — the driver throws
 *             "Server error (HTTP status 500): …".
 *
 * Each query is one statement on the extended protocol (no `a; b` strings);
 * a batch runs in one transaction (BEGIN … COMMIT, ROLLBACK on the first
 * error). Connections to Postgres are pooled per connection string, as Neon's
 * proxy pools them. What it does not emulate is listed in docs/SCALING.md
 * ("The local stand-ins").
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const ERROR_FIELDS = [
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "severity",
  "where",
  "table",
  "column",
  "schema",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;
const ISOLATION: Record<string, string> = {
  ReadUncommitted: "read uncommitted",
  ReadCommitted: "read committed",
  RepeatableRead: "repeatable read",
  Serializable: "serializable",
};
/** Postgres' text output as is: the driver parses it by type OID. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

interface QueryData {
  query: string;
  params?: unknown[];
  arrayMode?: boolean;
}

/** A failure answered with `status` and Neon's error body. */
class HttpFailure extends Error {
  readonly status: number;
  readonly fields: Record<string, unknown>;
  constructor(status: number, message: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

/** JSON params → Postgres text parameters, as the proxy's `json_to_pg_text` does. */
const toPgText = (v: unknown): string | null =>
  v === null || v === undefined
    ? null
    : typeof v === "string"
      ? v
      : typeof v === "object"
        ? JSON.stringify(v)
        : String(v);

const dbErrorFields = (err: unknown): Record<string, unknown> => {
  const e = err as Record<string, unknown>;
  return Object.fromEntries(ERROR_FIELDS.map((f) => [f, e[f] ?? null]));
};

export interface SqlOverHttp {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

/** `dbPort`: the one loopback database port it may reach (see scripts/relay.ts). */
export function sqlOverHttp(opts: { dbPort: number }): SqlOverHttp {
  const pools = new Map<string, pg.Pool>();
  let served = 0;

  const poolFor = (connectionString: string): pg.Pool => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: 20, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
      // An idle connection dying (Postgres restarted) is dropped by the pool; the next request reconnects.
      pool.on("error", () => {});
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const listened = new WeakSet<pg.PoolClient>();
  async function connect(connectionString: string): Promise<pg.PoolClient> {
    try {
      const client = await poolFor(connectionString).connect();
      // A connection lost mid-query (Postgres restarting) fails that query;
      // without a listener the client's 'error' event would crash the process.
      if (!listened.has(client)) {
        listened.add(client);
        client.on("error", () => {});
      }
      return client;
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      // Bad credentials or an unknown database are the caller's fault (400 on Neon too).
      if (/^(28|3D)/.test(code)) throw new HttpFailure(400, (err as Error).message, dbErrorFields(err));
      throw new HttpFailure(500, "Couldn't connect to compute node", { code: /^[0-9A-Z]{5}$/.test(code) ? code : "" });
    }
  }

  async function run(client: pg.PoolClient, q: QueryData, defaultArrayMode: boolean) {
    if (typeof q?.query !== "string") throw new HttpFailure(400, "query must be a string");
    const arrayMode = q.arrayMode ?? defaultArrayMode;
    const result = await client.query({
      text: q.query,
      values: (q.params ?? []).map(toPgText),
      rowMode: "array",
      types: RAW_TEXT,
      // One statement per query, like the proxy's extended-protocol `query_raw_txt`.
      queryMode: "extended",
    } as pg.QueryArrayConfig);
    const names = result.fields.map((f) => f.name);
    return {
      command: result.command,
      rowCount: result.rowCount,
      rowAsArray: arrayMode,
      fields: result.fields.map((f) => ({
        name: f.name,
        dataTypeID: f.dataTypeID,
        tableID: f.tableID,
        columnID: f.columnID,
        dataTypeSize: f.dataTypeSize,
        dataTypeModifier: f.dataTypeModifier,
        format: "text",
      })),
      rows: arrayMode ? result.rows : result.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))),
    };
  }

  /** Postgres errors are the query's (400); a connection lost without one is too, as on Neon. */
  const queryFailure = (err: unknown) =>
    err instanceof HttpFailure ? err : new HttpFailure(400, (err as Error).message, dbErrorFields(err));

  async function execute(req: IncomingMessage, body: unknown): Promise<unknown> {
    const header = (name: string) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const connectionString = header("Neon-Connection-String");
    if (!connectionString) throw new HttpFailure(400, "missing connection string");
    let url: URL;
    try {
      url = new URL(connectionString);
    } catch {
      throw new HttpFailure(400, "invalid connection string");
    }
    if (!LOOPBACK.has(url.hostname) || Number(url.port || 5432) !== opts.dbPort)
      throw new HttpFailure(400, "this stand-in only reaches the local database");
    if (header("Neon-Raw-Text-Output") !== "true")
      throw new HttpFailure(400, "this stand-in answers with raw text output only (Neon-Raw-Text-Output: true)");
    const arrayMode = header("Neon-Array-Mode") === "true";
    const payload = body as { queries?: QueryData[] } & QueryData;

    const client = await connect(connectionString);
    let healthy = true;
    try {
      if (!Array.isArray(payload?.queries))
        return await run(client, payload, arrayMode).catch((e) => {
          throw queryFailure(e);
        });
      const level = header("Neon-Batch-Isolation-Level");
      if (level !== undefined && !ISOLATION[level]) throw new HttpFailure(400, "invalid isolation level");
      const begin = [
        "begin",
        level ? `isolation level ${ISOLATION[level]}` : "",
        header("Neon-Batch-Read-Only") === "true" ? "read only" : "",
        header("Neon-Batch-Deferrable") === "true" ? "deferrable" : "",
      ]
        .filter(Boolean)
        .join(" ");
      await client.query(begin);
      try {
        const results = [];
        for (const q of payload.queries) results.push(await run(client, q, arrayMode));
        await client.query("commit");
        return { results };
      } catch (err) {
        await client.query("rollback").catch(() => (healthy = false));
        throw queryFailure(err);
      }
    } catch (err) {
      if (!(err instanceof HttpFailure) || (err.fields.code ?? "") === "") healthy = false;
      throw queryFailure(err);
    } finally {
      // A connection whose state is unknown is not returned to the pool (as the proxy discards it).
      client.release(healthy ? undefined : true);
    }
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) throw new HttpFailure(413, "request is too large");
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    let text = JSON.stringify(body);
    if (status === 200 && Buffer.byteLength(text) > MAX_RESPONSE_BYTES) {
      status = 507;
      text = JSON.stringify({ message: `response is too large (max is ${MAX_RESPONSE_BYTES} bytes)` });
    }
    res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
    res.end(text);
  };

  return {
    async handle(req, res) {
      served++;
      try {
        if (req.method !== "POST") throw new HttpFailure(405, "use POST");
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch (err) {
          if (err instanceof HttpFailure) throw err;
          throw new HttpFailure(400, "request body is not valid JSON");
        }
        reply(res, 200, await execute(req, body));
      } catch (err) {
        const f = err instanceof HttpFailure ? err : new HttpFailure(500, String(err));
        reply(res, f.status, { message: f.message, ...f.fields });
      }
    },
    requests: () => served,
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
      pools.clear();
    },
  };
}
