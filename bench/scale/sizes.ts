/** Row counts and disk per table (heap + indexes + TOAST), for the fill report and docs/BENCHMARKS.md. */
import type { SqlClient } from "./generate.ts";

export interface TableSize {
  table: string;
  rows: number;
  bytes: number;
}

/** Exact counts for the tables the generator fills (count(*): seconds at the large size, once). */
export async function tableSizes(client: SqlClient): Promise<TableSize[]> {
  const { rows } = await client.query(`
    select c.relname as table, (case when c.relkind = 'p' then (select sum(pg_total_relation_size(t.relid))
      from pg_partition_tree(c.oid) t) else pg_total_relation_size(c.oid) end)::float8 as bytes -- partitions too
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
    order by 2 desc`);
  const out: TableSize[] = [];
  for (const r of rows as { table: string; bytes: number }[]) {
    const n = await client.query(`select count(*)::float8 as n from "${r.table}"`);
    out.push({ table: r.table, rows: Number(n.rows[0].n), bytes: Number(r.bytes) });
  }
  return out.filter((t) => t.rows > 0);
}

const mb = (b: number) => (b / 1048576).toFixed(b < 10 * 1048576 ? 1 : 0);

export function renderSizes(sizes: TableSize[]): string {
  const total = sizes.reduce((a, s) => a + s.bytes, 0);
  const rows = sizes.reduce((a, s) => a + s.rows, 0);
  return [
    "| table | rows | disk (MB, with indexes) |",
    "| --- | ---: | ---: |",
    ...sizes.map((s) => `| ${s.table} | ${s.rows.toLocaleString("en-US")} | ${mb(s.bytes)} |`),
    `| **total** | ${rows.toLocaleString("en-US")} | ${mb(total)} |`,
  ].join("\n");
}
