// Search over everything this device holds (inbox, references, todos), for
// the Search screen. Plain folded text per record and substring scans, no
// inverted index: a query over the big account (65 000 records, ~25 MB of
// text) is one pass of String.includes over one-byte strings — a few ms to
// tens of ms — and there is no index to build, store or keep in step with
// live changes. The folding is cached per record object (useRecords keeps an
// object while its record is unchanged), so an edit re-folds one record.
import { fold } from "./search.ts";

export type Kind = "inbox_item" | "reference" | "todo";

export interface Searchable {
  kind: Kind;
  id: string;
  title: string;
  /** Description or content. */
  body: string;
  tags: readonly string[];
  /** ISO time: newer ranks first among equals. */
  at: string;
}

interface Folded {
  title: string;
  tags: string;
  /** Title, tags and body, one string: the scan's haystack. */
  all: string;
}

export interface Hit {
  item: Searchable;
  score: number;
}

const folded = new WeakMap<Searchable, Folded>();

function foldedOf(s: Searchable): Folded {
  let f = folded.get(s);
  if (!f) {
    const title = fold(s.title);
    const tags = s.tags.length ? ` ${fold(s.tags.join(" "))} ` : "";
    f = { title, tags, all: `${title}\n${tags}\n${fold(s.body)}` };
    folded.set(s, f);
  }
  return f;
}

/** Folds every record not folded yet, in slices, yielding between them (no long task on first use). */
export async function prepare(items: readonly Searchable[], slice = 2000): Promise<void> {
  for (let i = 0; i < items.length; i += slice) {
    for (const s of items.slice(i, i + slice)) foldedOf(s);
    if (i + slice < items.length) await new Promise((r) => setTimeout(r, 0));
  }
}

/** Words of a query, folded; "#tag" asks for a tag. */
export function terms(query: string): Array<{ word: string; tag: boolean }> {
  return fold(query)
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => (w.startsWith("#") ? { word: w.slice(1), tag: true } : { word: w, tag: false }))
    .filter((t) => t.word);
}

const startsWord = (hay: string, word: string) => {
  const at = hay.indexOf(word);
  return at === 0 || (at > 0 && !/[\p{L}\p{N}]/u.test(hay[at - 1]!));
};

/**
 * Records holding every word (a "#word" only among the tags), best first:
 * a word in the title outranks one among the tags, which outranks one in the
 * body; a word's start outranks its middle; then newer first.
 */
export function search(items: readonly Searchable[], query: string, limit = 50): { hits: Hit[]; total: number } {
  const words = terms(query);
  if (!words.length) return { hits: [], total: 0 };
  const hits: Hit[] = [];
  outer: for (const item of items) {
    const f = foldedOf(item);
    let score = 0;
    for (const { word, tag } of words) {
      if (tag) {
        if (!f.tags.includes(` ${word}`)) continue outer;
        score += f.tags.includes(` ${word} `) ? 6 : 4;
        continue;
      }
      if (!f.all.includes(word)) continue outer;
      if (f.title.includes(word)) score += startsWord(f.title, word) ? 8 : 5;
      else if (f.tags.includes(word)) score += 4;
      else score += startsWord(f.all, word) ? 2 : 1;
    }
    hits.push({ item, score });
  }
  const total = hits.length;
  hits.sort((a, b) => b.score - a.score || (b.item.at < a.item.at ? -1 : b.item.at > a.item.at ? 1 : 0));
  return { hits: hits.slice(0, limit), total };
}
