// Omnibar syntax: "Call Sam about the lease #home #urgent" → title + tags.
// A tag starts with a letter (so "issue #123" and "C#" stay text); tags are
// normalised like the server stores them (rules.ts normalizeTag).
import { LIMITS, normalizeTag } from "@protocol/rules.ts";

const TAG = new RegExp(String.raw`(^|\s)#(\p{L}[\p{L}\p{N}_\-/]{0,${LIMITS.tag - 1}})(?=\s|$|[.,;:!?])[.,;:!?]*`, "gu");

export function parseCapture(raw: string): { title: string; tags: string[] } {
  const tags: string[] = [];
  const title = raw
    .replace(TAG, (_m, pre: string, tag: string) => {
      const t = normalizeTag(tag);
      if (!tags.includes(t) && tags.length < LIMITS.tagsPerRecord) tags.push(t);
      return pre;
    })
    .replace(/\s+/g, " ")
    .trim();
  return { title, tags };
}

/** The tags field in the edit form: "#a, b c" → ["a","b","c"]. */
export function parseTagList(raw: string): string[] {
  const out: string[] = [];
  for (const part of raw.split(/[\s,]+/)) {
    const t = normalizeTag(part.replace(/^#+/, "")).slice(0, LIMITS.tag);
    if (t && !out.includes(t) && out.length < LIMITS.tagsPerRecord) out.push(t);
  }
  return out;
}
