/** HTTP helpers for serving files: single byte ranges (RFC 9110 §14), ETag lists, Content-Disposition. */

export type ByteRange = { offset: number; length: number };

/**
 * One `bytes=` range against a file of `size` bytes. Returns undefined when
 * there is no usable Range header (absent, malformed or multi-range: the
 * whole file is served), or "unsatisfiable" (→ 416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  const m = header === undefined ? null : /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    const offset = Math.max(0, size - suffix);
    return { offset, length: size - offset };
  }
  const first = Number(m[1]);
  const last = m[2] === "" ? size - 1 : Number(m[2]);
  if (m[2] !== "" && last < first) return undefined;
  if (first >= size) return "unsatisfiable";
  return { offset: first, length: Math.min(last, size - 1) - first + 1 };
}

const opaque = (tag: string) => tag.trim().replace(/^W\//, "");

/** If-None-Match against a (quoted) ETag; weak comparison, `*` matches. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((t) => t.trim() === "*" || opaque(t) === opaque(etag));
}

/** `inline` with the original name (RFC 6266: an ASCII fallback plus the UTF-8 form). */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `inline; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
