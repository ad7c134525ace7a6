/**
 * Wire shapes shared by the Worker and the web app (imported there as
 * `@protocol/*`). Field names are snake_case; timestamps ISO-8601 UTC.
 */
import { z } from "zod";
import { ErrorCode, LIMITS, normalizeTags } from "./rules.ts";

export const uuid = z.uuid();

/** A UUID's text form, for building patterns (e.g. R2 keys). */
export const UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID = new RegExp(`^${UUID_PATTERN}$`, "i");
/** The one UUID check for path ids: anything else cannot exist (404), and never reaches Postgres. */
export const isUuid = (id: string): boolean => UUID.test(id);

/** A tag as a client writes it (stored lowercased: `normalizeTags`), and a record's tags. */
export const tagSchema = z.string().trim().min(1).max(LIMITS.tag);
export const tagsSchema = z.array(tagSchema).max(LIMITS.tagsPerRecord);
/** A declared record's `toColumns` entry for `tags` (protocol/declare.ts). */
export const tagsToColumns = (tags: string[]) => ({ tags: normalizeTags(tags) });

/** Fields every synced record carries on the wire. */
export const recordBase = {
  id: z.uuid(),
  version: z.number().int().min(1),
  created_at: z.string(),
  updated_at: z.string(),
};

export interface RecordRow {
  id: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function recordToWire(row: RecordRow) {
  return {
    id: row.id,
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/**
 * `?page=1&page_size=50` (max 100), or `?cursor=<next_cursor>` to go on where a
 * page was cut short by bytes (LIST_PAGE_BYTES): a cursor names the first row
 * of the next response and overrides `page`.
 */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .regex(/^o\d{1,9}$/, "a next_cursor from a list response")
    .optional()
    .describe("A `next_cursor` from a previous page; overrides `page`"),
};

/**
 * A list response holds at most this many bytes of items (and at least one
 * item, however large): one page of 100 references of 100 000 characters would
 * otherwise be megabytes. A page cut short still says where to go on: `next_cursor`.
 */
export const LIST_PAGE_BYTES = 1_000_000;

/** The first row (0-based) a page query asks for. */
export const pageOffset = (q: { page: number; page_size: number; cursor?: string | undefined }): number =>
  q.cursor ? Number(q.cursor.slice(1)) : (q.page - 1) * q.page_size;

/** A client may send `version` in the body instead of `If-Match`. */
export const versionField = { version: z.number().int().min(1).optional() };

export const paged = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number(),
    page_size: z.number(),
    total: z.number(),
    next_cursor: z
      .string()
      .nullable()
      .describe("Where the next page starts (pass it as `cursor`), or null after the last item"),
  });

export const errorSchema = z.object({
  error: z.object({
    // The closed list (protocol/rules.ts), so the document and its clients know every code.
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ApiError = z.infer<typeof errorSchema>;

export interface Page<T> {
  items: T[];
  page: number;
  page_size: number;
  total: number;
  next_cursor: string | null;
}

/**
 * A §3 list response from one page of wire items: the items that fit in
 * `maxBytes` of JSON (at least one), and the cursor of the first item left out.
 */
export function pageResponse<T>(
  q: { page: number; page_size: number; cursor?: string | undefined },
  items: readonly T[],
  total: number,
  maxBytes = LIST_PAGE_BYTES,
): Page<T> {
  const fit = fitBytes(items, maxBytes);
  const next = pageOffset(q) + fit.length;
  return { items: fit, page: q.page, page_size: q.page_size, total, next_cursor: next < total ? `o${next}` : null };
}

const encoder = new TextEncoder();

/** The leading items whose JSON (as an array) stays within `maxBytes`; never fewer than one. */
export function fitBytes<T>(items: readonly T[], maxBytes: number): T[] {
  let bytes = 2; // the brackets
  let n = 0;
  for (const item of items) {
    bytes += encoder.encode(JSON.stringify(item)).length + (n > 0 ? 1 : 0);
    if (n > 0 && bytes > maxBytes) break;
    n++;
  }
  return items.slice(0, n);
}

// ---- storable JSON (request validation, the import, MCP and the assistant) ----

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
