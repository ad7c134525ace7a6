// Omnibar syntax: "Call Sam about the lease #home #urgent" → title + tags.
// A tag starts with a letter (so "issue #123" and "C#" stay text); tags are
// lowercased like the server normalizes them.
export const MAX_TAGS = 20;
export const MAX_TAG_LEN = 50;

const TAG = /(^|\s)#(\p{L}[\p{L}\p{N}_\-/]{0,49})(?=\s|$|[.,;:!?])[.,;:!?]*/gu;

export function parseCapture(raw: string): { title: string; tags: string[] } {
  const tags: string[] = [];
  const title = raw
    .replace(TAG, (_m, pre: string, tag: string) => {
      const t = tag.toLowerCase();
      if (!tags.includes(t) && tags.length < MAX_TAGS) tags.push(t);
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
    const t = part.replace(/^#+/, "").trim().toLowerCase().slice(0, MAX_TAG_LEN);
    if (t && !out.includes(t) && out.length < MAX_TAGS) out.push(t);
  }
  return out;
}
