/**
 * README "Limits" cannot drift from the declarations: the declared record
 * types' block (between the `declared-limits` markers) is rendered here from
 * the registry (workers/protocol/declare.ts `limits`) and must match. After
 * adding or changing a declared type, regenerate it:
 *
 *   UPDATE_README=1 npx vitest run --project unit tests/unit/readme-limits.test.ts
 *
 * The hand-kept quotas (QUOTAS, 0014's triggers) must each have a row with
 * their number in the table above it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getTableName } from "drizzle-orm";
import { expect, test } from "vitest";
import { entities } from "../../workers/protocol/registry";
import { QUOTAS } from "../../workers/protocol/rules";

const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const START = "<!-- declared-limits:start (generated from the declarations: tests/unit/readme-limits.test.ts) -->";
const END = "<!-- declared-limits:end -->";

/** 1 000 as the README writes numbers. */
const num = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");

function rendered(): string {
  const rows = Object.values(entities)
    .flatMap((r) => ("limits" in r && r.limits && "api" in r ? [r] : []))
    .map((r) => {
      const { quota, ...fields } = r.limits as unknown as { quota: number } & Record<string, number>;
      const lengths = Object.entries(fields)
        .map(([f, max]) => `${f} ≤ ${num(max)}`)
        .join(", ");
      return `| ${getTableName(r.table).replace(/_/g, " ")} (\`${r.api.path}\`) | ${num(quota)} | ${lengths} characters |`;
    });
  return [
    START,
    "",
    "| declared record type | per user | field lengths |",
    "| --- | --- | --- |",
    ...rows,
    "",
    END,
  ].join("\n");
}

const block = (text: string) => {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < 0 ? undefined : { a, b: b + END.length };
};

test("README's declared-limits block is the one the declarations give", () => {
  const text = readFileSync(README, "utf8");
  const at = block(text);
  expect(at, `README.md needs the block between ${START} and ${END}`).toBeDefined();
  const want = rendered();
  const have = text.slice(at!.a, at!.b);
  // Prettier aligns the table's columns; compare cell contents.
  const cells = (s: string) => s.split("\n").map((l) => l.replace(/\s*\|\s*/g, "|").replace(/-{3,}/g, "---"));
  if (process.env.UPDATE_README && cells(have).join("\n") !== cells(want).join("\n"))
    writeFileSync(README, text.slice(0, at!.a) + want + text.slice(at!.b));
  else expect(cells(have), `README.md is out of date: UPDATE_README=1 (see this file's header)`).toEqual(cells(want));
});

test("every hand-kept quota has a row with its number in README's quota table", () => {
  const table = readFileSync(README, "utf8").split("**Per-user quotas**")[1]!.split("\n\n")[1]!;
  for (const [resource, n] of Object.entries(QUOTAS))
    expect(table, `QUOTAS.${resource} = ${n}`).toMatch(new RegExp(`\\| ${num(n)}( |\\b)`));
});
