/**
 * Wire shapes shared by the Worker and the web app (imported there as
 * `@protocol/*`). Field names are snake_case; timestamps ISO-8601 UTC.
 */
import { z } from "zod";
import { ErrorCode } from "./rules";

export const uuid = z.uuid();

/** A UUID's text form, for building patterns (e.g. R2 keys). */
export const UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID = new RegExp(`^${UUID_PATTERN}$`, "i");
/** The one UUID check for path ids: anything else cannot exist (404), and never reaches Postgres. */
export const isUuid = (id: string): boolean => UUID.test(id);

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

/** `?page=1&page_size=50` (max 100). */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(50),
};

/** A client may send `version` in the body instead of `If-Match`. */
export const versionField = { version: z.number().int().min(1).optional() };

export const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), page: z.number(), page_size: z.number(), total: z.number() });

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
}
