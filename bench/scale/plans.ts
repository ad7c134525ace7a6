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

/** Sequential scans of growing tables, per query text (partitions named `<table>_…` count as their table). */
export function growingSeqScans(plans: CapturedPlan[]): { query: string; tables: string[] }[] {
  const bad = new Map<string, Set<string>>();
  for (const p of plans) {
    const tables = seqScans(p.plan).filter(
      (t) => GROWING.has(t) || [...GROWING].some((g) => t.startsWith(`${g}_p`) || t === `${g}_default`),
    );
    if (!tables.length) continue;
    const key = p.query.replace(/\s+/g, " ").trim();
    bad.set(key, new Set([...(bad.get(key) ?? []), ...tables]));
  }
  return [...bad].map(([query, tables]) => ({ query, tables: [...tables] }));
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
