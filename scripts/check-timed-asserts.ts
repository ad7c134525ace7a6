/**
 * `npm run check`: no assertion in tests/ compares a wall-clock duration
 * (SPEC §6, AGENTS.md: speed belongs in `npm run bench`). A busy machine must
 * never fail a test, and a fast one must never hide a bug behind a timeout.
 *
 * The rule, per file, on the text (no type information needed):
 *  1. A name is a clock reading when it is assigned from `Date.now()`,
 *     `performance.now()`, `process.hrtime…` or `new Date().getTime()`, or from
 *     an expression using another clock reading — also a property assigned
 *     that way inside a page (`w.sentAt ??= Date.now()`), so a timestamp read
 *     back from a browser counts too.
 *  2. A name is an elapsed time when assigned from a difference (`a - b`)
 *     with a clock reading on either side.
 *  3. An `expect(…)` whose subject or matcher argument uses an elapsed time,
 *     or a clock difference written in place (`Date.now() - t0`), with an
 *     ordering matcher (toBeLessThan…, toBeGreaterThan…, toBeCloseTo), fails.
 * A deadline in the future (`Date.now() + 30 * 86_400_000`) is a sum, not a
 * duration, and passes. Run with file paths to check just those.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const CLOCK = String.raw`(?:Date\.now\(\)|performance\.now\(\)|process\.hrtime(?:\.bigint)?\([^)]*\)|new Date\(\)\.getTime\(\))`;
const ORDERING = /^(?:toBeLessThan|toBeLessThanOrEqual|toBeGreaterThan|toBeGreaterThanOrEqual|toBeCloseTo)$/;

export interface Finding {
  file: string;
  line: number;
  text: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const mentions = (expr: string, names: Set<string>) =>
  [...names].some((n) => new RegExp(`(?<![\\w$])${escape(n)}(?![\\w$])`).test(expr));

/** `a - b` with a clock reading (a name from `clock`, or a clock call) on either side. */
function isClockDifference(expr: string, clock: Set<string>): boolean {
  const operand = [CLOCK, ...[...clock].map((n) => String.raw`(?<![\w$])${escape(n)}(?![\w$])`)].join("|");
  return new RegExp(String.raw`(?:${operand})[\s)\]]*-(?!-)|(?<!-)-[\s(]*(?:${operand})`).test(expr);
}

/** The text between the parenthesis at `open` and its match (strings and templates skipped roughly). */
function balanced(src: string, open: number): { inner: string; end: number } | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < src.length; i++) {
    const ch = src[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return { inner: src.slice(open + 1, i), end: i };
  }
  return null;
}

export function findTimedAsserts(file: string, src: string): Finding[] {
  // Assignments: `const|let|var name = …;` and `x.name = / ??= …` (up to the end of the statement line).
  const assignments = [
    ...src.matchAll(
      /(?:\b(?:const|let|var)\s+([\w$]+)|\.([\w$]+)|^\s*([\w$]+))\s*(?:\?\?=|\|\|=|=)(?!=)([^;\n]*(?:\n\s+[^;\n]*)*)/gm,
    ),
  ].map((m) => ({ name: (m[1] ?? m[2] ?? m[3])!, expr: m[4]! }));
  const clock = new Set<string>();
  const elapsed = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const { name, expr } of assignments) {
      const fromClock = new RegExp(CLOCK).test(expr) || mentions(expr, clock);
      if (fromClock && !clock.has(name)) changed = !!clock.add(name);
      const isElapsed = isClockDifference(expr, clock) || mentions(expr, elapsed);
      if (isElapsed && !elapsed.has(name)) changed = !!elapsed.add(name);
    }
  }
  const findings: Finding[] = [];
  for (const m of src.matchAll(/\bexpect\s*\(/g)) {
    const subject = balanced(src, m.index + m[0].length - 1);
    if (!subject) continue;
    const chain = /^\s*((?:\.\s*(?:not|resolves|rejects)\s*)*)\.\s*(\w+)\s*\(/.exec(src.slice(subject.end + 1));
    if (!chain || !ORDERING.test(chain[2]!)) continue;
    const argOpen = subject.end + 1 + chain[0].length - 1;
    const arg = balanced(src, argOpen)?.inner ?? "";
    const uses = (e: string) => mentions(e, elapsed) || isClockDifference(e, new Set());
    if (uses(subject.inner) || uses(arg)) {
      const line = src.slice(0, m.index).split("\n").length;
      findings.push({ file, line, text: src.split("\n")[line - 1]!.trim() });
    }
  }
  return findings;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? testFiles(p) : /\.(?:ts|tsx|js|mjs)$/.test(name) ? [p] : [];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles(path.join(root, "tests"));
  const findings = files.flatMap((f) => findTimedAsserts(path.relative(root, f), readFileSync(f, "utf8")));
  for (const f of findings) console.error(`${f.file}:${f.line}: a wall-clock duration in an assertion: ${f.text}`);
  if (findings.length) {
    console.error(
      `\n${findings.length} timed assertion(s) in tests/: assert what happened, not how fast (npm run bench).`,
    );
    process.exit(1);
  }
  console.log(`no timed assertions in ${files.length} test files`);
}
