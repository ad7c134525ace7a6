/** What a JSON value may hold to be stored in Postgres (used by request validation, the import and MCP). */
/**
 * What Postgres (or a recursive validator) cannot take, refused before it gets
 * there (every JSON body reaches jsonb through the change log, some through
 * jsonb columns such as settings `ui`):
 *  - NUL characters (U+0000 can't be stored in `text` or jsonb);
 *  - lone UTF-16 surrogates (jsonb refuses `\ud800`; `text` would silently get U+FFFD);
 *  - nesting deeper than MAX_JSON_DEPTH (a recursive schema such as `z.json()`
 *    overflows the stack at ~1 500 levels — a body far under any size limit).
 */
export const MAX_JSON_DEPTH = 32;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string can't be stored, if it can't. */
export function badText(s: string): string | undefined {
  if (s.includes("\u0000")) return "NUL characters are not allowed";
  if (LONE_SURROGATE.test(s)) return "Unpaired UTF-16 surrogates are not allowed";
  return undefined;
}

type Unstorable = { path: string; code: string; message: string };

/** The first unstorable string or key in `value`, or nesting that is too deep — found without recursion. */
export function findUnstorable(value: unknown): Unstorable | undefined {
  const stack: { v: unknown; path: string[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      const why = badText(v);
      if (why) return { path: path.join("."), code: "invalid_string", message: why };
    } else if (v && typeof v === "object") {
      if (path.length >= MAX_JSON_DEPTH)
        return { path: path.join("."), code: "too_deep", message: `Nesting deeper than ${MAX_JSON_DEPTH} levels` };
      for (const [k, child] of Object.entries(v)) {
        const why = badText(k);
        if (why) return { path: [...path, k].join("."), code: "invalid_key", message: why };
        stack.push({ v: child, path: [...path, k] });
      }
    }
  }
  return undefined;
}
