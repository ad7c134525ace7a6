/**
 * Query plans of the statements the Worker really runs, read from Postgres'
 * own log: the scale bench loads auto_explain into the Worker role's sessions
 * (JSON format, nested statements of PL/pgSQL functions included) and turns
 * it on only while it replays each hot route once. Every plan is then walked
 * for a sequential scan of a table that grows with the data.
 */

export interface CapturedPlan {
  query: string;
  plan: PlanNode;
}

export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
  [k: string]: unknown;
}

/**
 * Tables that grow with users or with time. Not here: `market_items` outside
 * custom rewards is the catalog (a dozen rows), but custom rewards make it
 * grow, so it is here too; nothing of the app is exempt.
 */
export const GROWING = new Set([
  "users",
  "sessions",
  "idempotency_keys",
  "change_log",
  "settings",
  "inbox_items",
  "focus_sessions",
  "audio_files",
  "audio_uploads",
  "focus_libraries",
  "focus_tracks",
  "reference_items",
  "todos",
  "conversations",
  "tool_calls",
  "messages",
  "loops",
  "loop_likes",
  "loop_plays",
  "songs",
  "market_items",
  "user_wallet",
  "user_market_purchases",
  "market_transactions",
  "user_rewards",
  "record_history",
]);

/** The plans in a chunk of server log written with auto_explain.log_format = json (continuation lines start with a tab). */
export function parsePlans(log: string): CapturedPlan[] {
  const out: CapturedPlan[] = [];
  const lines = log.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/\bplan:\s*$/.test(lines[i]!)) continue;
    const body: string[] = [];
    while (i + 1 < lines.length && lines[i + 1]!.startsWith("\t")) body.push(lines[++i]!.slice(1));
    try {
      const doc = JSON.parse(body.join("\n")) as { "Query Text": string; Plan: PlanNode };
      out.push({ query: doc["Query Text"], plan: doc.Plan });
    } catch {
      // a plan cut by the log's own line limit: not one we can judge
    }
  }
  return out;
}

/** Relations the plan reads with a sequential scan (recursively, sub-plans and CTEs included). */
export function seqScans(node: PlanNode): string[] {
  const here = node["Node Type"] === "Seq Scan" && node["Relation Name"] ? [node["Relation Name"]] : [];
  return [...here, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** A table's size when the plans were captured (pg_class: heap pages and the planner's row estimate). */
export interface RelationSize {
  pages: number;
  rows: number;
}

/**
 * Below this many heap pages (1 MB) a growing table is still small enough
 * that Postgres' cost model rightly prefers reading it whole to an index
 * path's random reads (e.g. the feed's 21 newest public loops out of a few
 * hundred: one sequential pass plus a top-N sort beats 21 random heap
 * fetches). Such a scan is reported with its size, not failed: the index
 * path it would switch to is checked to exist in CI (tests/worker/scale.test.ts,
 * seq scans disabled), and at the large profile every growing table is far
 * above this, so a sequential scan there fails the run.
 */
export const SMALL_TABLE_PAGES = 128;

const tableOf = (t: string) =>
  GROWING.has(t) ? t : [...GROWING].find((g) => t.startsWith(`${g}_p`) || t === `${g}_default`);

/**
 * Sequential scans of growing tables, per query text (partitions named
 * `<table>_p…`/`<table>_default` count as their table). With `sizes`, scans
 * of tables under SMALL_TABLE_PAGES go to `small` (the planner's choice at
 * this size, with the size as the reason); without, every one fails.
 */
export function classifySeqScans(
  plans: CapturedPlan[],
  sizes?: Map<string, RelationSize>,
): { failing: { query: string; tables: string[] }[]; small: { query: string; tables: string[] }[] } {
  const bad = new Map<string, Set<string>>();
  const small = new Map<string, Set<string>>();
  for (const p of plans) {
    const key = p.query.replace(/\s+/g, " ").trim();
    for (const t of seqScans(p.plan)) {
      if (!tableOf(t)) continue;
      const size = sizes?.get(t);
      const into = size && size.pages < SMALL_TABLE_PAGES ? small : bad;
      into.set(key, new Set([...(into.get(key) ?? []), t]));
    }
  }
  const list = (m: Map<string, Set<string>>) => [...m].map(([query, tables]) => ({ query, tables: [...tables] }));
  return { failing: list(bad), small: list(small) };
}

/** Sequential scans of growing tables, whatever their size (every one fails). */
export function growingSeqScans(plans: CapturedPlan[]): { query: string; tables: string[] }[] {
  return classifySeqScans(plans).failing;
}

/** Heap pages and estimated rows of the public tables (after ANALYZE), for classifySeqScans. */
export async function relationSizes(client: {
  query(text: string): Promise<{ rows: any[] }>;
}): Promise<Map<string, RelationSize>> {
  const { rows } = await client.query(`
    select c.relname as name, c.relpages::float8 as pages, greatest(c.reltuples, 0)::float8 as rows
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'`);
  return new Map(
    (rows as { name: string; pages: number; rows: number }[]).map((r) => [
      r.name,
      { pages: Number(r.pages), rows: Number(r.rows) },
    ]),
  );
}

/**
 * Index scans with no index condition (the whole index read in order, e.g.
 * to satisfy an ORDER BY under a LIMIT): bounded when the LIMIT is met early,
 * a full scan when a filter rejects most rows. Reported, not failed.
 */
export function unboundedIndexScans(plans: CapturedPlan[]): { query: string; tables: string[] }[] {
  const walk = (n: PlanNode): string[] => [
    ...(/^Index (Only )?Scan$/.test(n["Node Type"]) &&
    !n["Index Cond"] &&
    n["Relation Name"] &&
    GROWING.has(n["Relation Name"])
      ? [n["Relation Name"]]
      : []),
    ...(n.Plans ?? []).flatMap(walk),
  ];
  const out = new Map<string, Set<string>>();
  for (const p of plans) {
    const tables = walk(p.plan);
    if (!tables.length) continue;
    const key = p.query.replace(/\s+/g, " ").trim();
    out.set(key, new Set([...(out.get(key) ?? []), ...tables]));
  }
  return [...out].map(([query, tables]) => ({ query, tables: [...tables] }));
}
