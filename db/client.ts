/**
 * The one module that owns the database driver choice (`@neondatabase/serverless`
 * everywhere; SPEC §1).
 *
 *  - Every query outside an interactive transaction goes over Neon's HTTP
 *    query path (drizzle `neon-http`): one HTTPS request per query on a
 *    connection the runtime keeps alive, so a request pays no TCP/TLS/
 *    WebSocket/Postgres handshake — one round trip per query.
 *  - `db.transaction(fn)` (an interactive transaction: JS between statements)
 *    opens the WebSocket `Pool` (drizzle `neon-serverless`) for this request
 *    only, on first use; that path pays the connection set-up.
 *  - `lead(query)` queues a statement (the session check) to travel with the
 *    next HTTP query as the first statement of one non-interactive transaction
 *    (`sql.transaction([...])`): the session check and the request's first
 *    read or write cost one round trip together (workers/middleware/auth.ts).
 *
 *  - Row-level security (db/migrations/0018_row_level_security.sql): the
 *    Worker's role sees only the rows of the user set in the transaction.
 *    The session check sets it (it leads the first batch); `actAs(user)` then
 *    puts `set_config('continuum.user_id', …)` first in every later HTTP
 *    batch (each is its own transaction) and into every `BEGIN` of the
 *    WebSocket path, so it costs no round trip. `asJobs()` does the same with
 *    the jobs role (cron, queue consumer). No context: no user-owned rows.
 *
 * Production talks to Neon directly. Locally `LOCAL_WS_PROXY` (`host:port/v1`)
 * names the stand-in for Neon's proxy (scripts/relay.ts): the WebSocket relay
 * at `/v1` and the SQL-over-HTTP endpoint at `/sql` of the same port, or at
 * `LOCAL_SQL_ENDPOINT` (a port of its own, as `npm run dev` and the bench use).
 *
 * Workers must not share I/O objects across requests, so a handle is opened
 * per request (or per DO call / cron run) and closed with `ctx.waitUntil(close())`.
 */
import { Pool, neon, neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import * as schema from "./schema.ts";

export type Db = NeonDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Several independent queries as ONE non-interactive transaction over the HTTP
 * path: one round trip (a queued lead — the session check — travels first).
 * For reads that don't depend on each other's results; not inside `transaction()`.
 */
export function batch<const Q extends readonly PromiseLike<unknown>[]>(
  db: Db,
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: Awaited<Q[K]> }> {
  return (db as unknown as { batch(q: Q): Promise<never> }).batch(queries);
}

export interface DbEnv {
  DATABASE_URL: string;
  /** `host:port/v1` of the local stand-in for Neon's proxy; unset in production. */
  LOCAL_WS_PROXY?: string;
  /** `http://host:port/sql` of its SQL-over-HTTP endpoint (default: `/sql` on LOCAL_WS_PROXY's port). */
  LOCAL_SQL_ENDPOINT?: string;
}

/** A statement's rows as the HTTP path returns them with `fullResults`. */
export interface QueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

export interface DbHandle {
  db: Db;
  close(): Promise<void>;
  /** Database round trips so far: HTTP requests (a batch counts once) + WebSocket queries (BEGIN/COMMIT included). */
  queries(): number;
  /** WebSocket connections opened so far (each pays TCP + TLS + upgrade + Postgres startup). */
  connections(): number;
  /**
   * Queues a statement to run first, in one transaction with the next HTTP
   * query. If it fails, the statements sent with it do not commit; if they
   * fail, it travels again with the next query (so nothing ever runs without
   * it having succeeded first in the same transaction, or before). `onOk`
   * runs with its result before the queries that carried it resolve.
   */
  lead(text: string, params: unknown[], onOk?: (result: QueryResult) => void): void;
  /** Sends the lead alone unless a query has carried it to an answer; resolves with that answer. */
  settle(): Promise<{ ok: QueryResult } | { err: unknown } | undefined>;
  /**
   * Queues `statement` to travel in the same transaction as the next HTTP
   * query, after the lead or the user context: if either fails, neither
   * commits, and it travels again with the query after. `onOk` gets its result
   * before the query it rode with resolves. Returns a cancel for when no query
   * is left to carry it. (An approved assistant call's guard rides with the
   * call's first write: workers/assistant/run.ts.)
   */
  ride(statement: SQL, onOk: (result: QueryResult) => void): () => void;
  /**
   * A read the request will probably need, sent with the next HTTP query
   * instead of after it: `read` runs on a handle whose queries wait and join
   * that query's transaction, after its statements (so after the lead: the
   * read runs as the checked user). Speculative: if that transaction fails,
   * the read is dropped (its promise rejects) and the other statements are
   * sent again without it — unless the failure was a refusal (the session
   * check's or a database function's), which a plain read cannot raise. Call
   * it before the query it should ride with; resolves once its first query
   * waits (or the read settled without one). Reads only: nothing it sends may write.
   * (A message to the assistant whose reading tool is known from the message
   * alone: workers/assistant/run.ts.)
   */
  prefetch<T>(read: (db: Db) => Promise<T>): Promise<{ result: Promise<T> }>;
  /**
   * Row-level security: every later query runs as this (verified) user. Called
   * once the session check has passed; a query before it sees no user rows.
   */
  actAs(userId: string): void;
  /** Every later query runs as the jobs role (`continuum_jobs`: across users). Cron and the queue consumer only. */
  asJobs(): void;
  /** Work for after the response (not on its latency path, not in `queries()`): run by `runLater()`. */
  later(work: () => Promise<unknown>): void;
  /** Runs the deferred work (best effort, errors swallowed); call it inside `waitUntil`. */
  runLater(): Promise<void>;
}

export function configureDriver(env: Pick<DbEnv, "LOCAL_WS_PROXY" | "LOCAL_SQL_ENDPOINT">): void {
  const proxy = env.LOCAL_WS_PROXY;
  if (proxy) {
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    // Local Postgres asks for a cleartext password on loopback, as Neon's proxy
    // does over TLS, so the startup can be pipelined like in production.
    neonConfig.pipelineConnect = "password";
    neonConfig.fetchEndpoint = env.LOCAL_SQL_ENDPOINT ?? `http://${proxy.replace(/\/v1$/, "")}/sql`;
  }
}

type Opts = Record<string, unknown> | undefined;
interface Sent {
  text: string;
  params: unknown[];
  opts: Opts;
}
type SqlFn = ReturnType<typeof neon>;
const noop = () => {};
/** The session check's (CN401/CN409) or a database function's (CNAPP) refusal: raised on purpose, not by a read. */
const isRefusal = (err: unknown) => String((err as { code?: unknown } | null)?.code ?? "").startsWith("CN");
const dialect = new PgDialect();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whose rows a handle's queries may touch: one user's, or (jobs) everyone's through the jobs role. */
type RlsContext = { user: string } | { jobs: true };
const contextStatement = (ctx: RlsContext): Sent =>
  "user" in ctx
    ? {
        text: "select set_config('continuum.user_id', $1, true)",
        params: [ctx.user],
        opts: { arrayMode: true, fullResults: true },
      }
    : {
        text: "select set_config('role', 'continuum_jobs', true)",
        params: [],
        opts: { arrayMode: true, fullResults: true },
      };
/** The same, appended to a WebSocket transaction's `BEGIN` (simple protocol: no parameters, hence the checked uuid). */
const contextAfterBegin = (ctx: RlsContext): string =>
  "user" in ctx ? `; select set_config('continuum.user_id', '${ctx.user}', true)` : "; set local role continuum_jobs";

/**
 * What drizzle's neon-http session sees as the `neon()` client: `query()`
 * returns a lazy promise (sent when awaited, like the driver's own), and
 * `transaction()` sends several as one request. Counts round trips and
 * carries a queued lead statement along with the next request.
 */
function httpClient(sqlFn: SqlFn, count: () => void) {
  interface Lead {
    sent: Sent;
    outcome?: { ok: QueryResult } | { err: unknown };
    onOk?: (result: QueryResult) => void;
  }
  let lead: Lead | undefined;
  let rider: { sent: Sent; onOk: (result: QueryResult) => void } | undefined;
  let context: Sent | undefined;
  /** Speculative reads waiting for the next query to carry them (`prefetch`). */
  const waiting: { sent: Sent; resolve: (r: unknown) => void; reject: (e: unknown) => void }[] = [];
  const toNeon = (q: Sent) => sqlFn.query(q.text, q.params, q.opts as never);

  async function send(queries: Sent[], txnOpts?: Opts): Promise<unknown[]> {
    const carried = lead && !lead.outcome ? lead : undefined;
    if (queries.length === 0 && !carried) return [];
    // The lead (the session check) sets the user itself; later batches set the verified one.
    const first = carried?.sent ?? context;
    const riding = queries.length > 0 ? rider : undefined;
    const extra = queries.length > 0 ? waiting.splice(0) : [];
    const all = [...(first ? [first] : []), ...(riding ? [riding.sent] : []), ...queries, ...extra.map((e) => e.sent)];
    count();
    try {
      const results =
        all.length === 1 && !txnOpts
          ? [await toNeon(all[0]!)]
          : ((await sqlFn.transaction(all.map(toNeon), (txnOpts ?? {}) as never)) as unknown[]);
      const firstResult = first ? results.shift() : undefined;
      if (carried) {
        carried.outcome = { ok: firstResult as QueryResult };
        carried.onOk?.(carried.outcome.ok); // before the queries it carried resolve
      }
      if (riding) {
        const ridden = results.shift() as QueryResult;
        if (rider === riding) rider = undefined;
        riding.onOk(ridden);
      }
      const extraResults = results.splice(queries.length);
      extra.forEach((e, i) => e.resolve(extraResults[i]));
      return results;
    } catch (err) {
      extra.forEach((e) => e.reject(err));
      // A speculative read went with it: the others go again alone, unless a refusal (which no
      // read raises) failed the batch — then they would only fail the same way.
      if (extra.length > 0 && !isRefusal(err)) return send(queries, txnOpts);
      // The batch rolled back, the lead with it: it travels again with the next query.
      if (carried && queries.length === 0) carried.outcome = { err };
      throw err;
    }
  }

  class LazyQuery implements PromiseLike<unknown> {
    private promise?: Promise<unknown>;
    readonly sent: Sent;
    constructor(sent: Sent) {
      this.sent = sent;
    }
    // Thenable on purpose: drizzle awaits a query, or hands several to
    // `transaction()` unawaited — as with the driver's own lazy NeonQueryPromise.
    // oxlint-disable-next-line unicorn/no-thenable
    then<A = unknown, B = never>(
      onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
      onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): Promise<A | B> {
      this.promise ??= send([this.sent]).then((r) => r[0]);
      return this.promise.then(onfulfilled, onrejected);
    }
  }

  /** A query that waits for the next one sent to carry it (`prefetch`); `queued` hears when it waits. */
  class WaitingQuery extends LazyQuery {
    private waiting?: Promise<unknown>;
    // A plain field, not a parameter property: Node runs this file by stripping types (scripts/, bench/).
    private readonly queued: () => void;
    constructor(sent: Sent, queued: () => void) {
      super(sent);
      this.queued = queued;
    }
    // oxlint-disable-next-line unicorn/no-thenable
    override then<A = unknown, B = never>(
      onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
      onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): Promise<A | B> {
      this.waiting ??= new Promise((resolve, reject) => {
        waiting.push({ sent: this.sent, resolve, reject });
        this.queued();
      });
      return this.waiting.then(onfulfilled, onrejected);
    }
  }

  return {
    query: (text: string, params: unknown[], opts?: Opts) => new LazyQuery({ text, params: params ?? [], opts }),
    /** The `neon()` stand-in for a prefetch's handle: its queries wait for the next query of the request. */
    waitingClient(queued: () => void) {
      return {
        query: (text: string, params: unknown[], opts?: Opts) =>
          new WaitingQuery({ text, params: params ?? [], opts }, queued),
        transaction: () => Promise.reject(new Error("prefetch: one query at a time")),
      };
    },
    transaction: (queries: LazyQuery[], opts?: Opts) =>
      send(
        queries.map((q) => q.sent),
        opts ?? {},
      ),
    setContext(ctx: RlsContext): void {
      context = contextStatement(ctx);
    },
    lead(text: string, params: unknown[], onOk?: (result: QueryResult) => void): void {
      if (lead) throw new Error("only one lead statement per request");
      lead = { sent: { text, params, opts: { arrayMode: false, fullResults: true } }, onOk };
    },
    ride(statement: SQL, onOk: (result: QueryResult) => void): () => void {
      if (rider) throw new Error("only one statement rides at a time");
      const q = dialect.sqlToQuery(statement);
      const mine = { sent: { text: q.sql, params: q.params, opts: { arrayMode: false, fullResults: true } }, onOk };
      rider = mine;
      return () => {
        if (rider === mine) rider = undefined;
      };
    },
    /** Sends the lead alone if no query has carried it to an answer yet; returns its outcome. */
    async settle(): Promise<{ ok: QueryResult } | { err: unknown } | undefined> {
      if (lead && !lead.outcome) await send([]).catch(() => {});
      return lead?.outcome;
    },
  };
}

export function openDb(env: DbEnv): DbHandle {
  configureDriver(env);
  let count = 0;
  let connections = 0;
  const http = httpClient(neon(env.DATABASE_URL), () => count++);
  const db = drizzleHttp({ client: http as never, schema }) as unknown as Db;

  let pool: Pool | undefined;
  let wsDb: Db | undefined;
  let rls: RlsContext | undefined;
  const setContext = (ctx: RlsContext) => {
    rls = ctx;
    http.setContext(ctx);
  };
  const openWs = (): Db => {
    pool = new Pool({
      connectionString: env.DATABASE_URL,
      // Fail fast when Postgres is down so the API can answer 503 promptly.
      connectionTimeoutMillis: 5_000,
      max: 4,
    });
    // Swallow idle-client errors (e.g. Postgres restarting); the query that
    // needs the connection reports its own error.
    pool.on("error", () => {});
    pool.on("connect", () => connections++);
    return drizzleWs({
      client: countedPool(
        pool,
        () => count++,
        () => rls,
      ),
      schema,
    });
  };
  // An interactive transaction needs a session: the WebSocket path, opened on
  // first use. A queued lead (the session check) is sent first, so no
  // statement runs before the request is authenticated.
  (db as { transaction: Db["transaction"] }).transaction = async (work, config) => {
    const lead = await http.settle();
    if (lead && "err" in lead) throw lead.err;
    wsDb ??= openWs();
    return wsDb.transaction(work, config);
  };

  const deferred: Array<() => Promise<unknown>> = [];
  return {
    db,
    later: (work) => void deferred.push(work),
    runLater: async () => {
      await Promise.all(deferred.splice(0).map((work) => work().catch(() => {})));
    },
    queries: () => count,
    connections: () => connections,
    actAs(userId) {
      if (!UUID.test(userId)) throw new Error("actAs: not a user id");
      setContext({ user: userId.toLowerCase() });
    },
    asJobs: () => setContext({ jobs: true }),
    lead: http.lead,
    settle: http.settle,
    ride: http.ride,
    async prefetch(read) {
      let queued!: () => void;
      const waits = new Promise<void>((resolve) => (queued = resolve));
      const spec = drizzleHttp({ client: http.waitingClient(queued) as never, schema }) as unknown as Db;
      const result = read(spec);
      // Until its first query waits for a carrier (or it finished without one): the caller's next query takes it.
      await Promise.race([waits, result.then(noop, noop)]);
      return { result };
    },
    close: async () => {
      await pool?.end().catch(() => {});
    },
  };
}

/**
 * The pool with every query counted, on the pool and on checked-out clients;
 * a transaction's `BEGIN` also sets the row-level-security context (drizzle
 * sends it as a parameterless query, so the two travel as one).
 */
function countedPool(pool: Pool, count: () => void, rls: () => RlsContext | undefined): Pool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "query") {
        return (...args: unknown[]) => {
          count();
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === "connect") {
        return async (...args: unknown[]) => {
          const client = await (
            target.connect as (...a: unknown[]) => Promise<{ query: (...a: unknown[]) => unknown }>
          ).apply(target, args);
          const query = client.query.bind(client);
          client.query = (...a: unknown[]) => {
            count();
            const ctx = rls();
            const q = a[0] as { text?: unknown } | string;
            const text = typeof q === "string" ? q : q?.text;
            if (
              ctx &&
              typeof text === "string" &&
              /^\s*begin\b/i.test(text) &&
              !(a[1] as unknown[] | undefined)?.length
            ) {
              const withContext = text + contextAfterBegin(ctx);
              a[0] = typeof q === "string" ? withContext : { ...q, text: withContext };
            }
            return query(...a);
          };
          return client;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
