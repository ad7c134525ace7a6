// Search over everything this device holds (inbox, references, todos), for
// the Search screen. Each query word must start a word of the record (as the
// server's reference search: "caf" finds "Café"), "#word" one of its tags;
// accents and case are folded. An inverted index (word → records, and the
// sorted words for prefix ranges) answers over the big account (65 000
// records, ~25 MB of text) in a few ms; it is built in slices after the
// screen opens (no long task), and until it is ready — and for records added
// or changed since it was built — a plain scan of the folded text answers.
// Folding is cached per record object (the sync store replaces a record's
// object when it changes), so an edit re-folds one record.
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

const WORD = /[^\p{L}\p{N}]+/u;

/** word → the records holding it; `words` sorted, for prefix ranges. */
export interface Index {
  items: readonly Searchable[];
  held: ReadonlySet<Searchable>;
  postings: Map<string, number[]>;
  words: string[];
}

/** The records of a list as a set, once per list (a list is replaced, never changed, when records change). */
const sets = new WeakMap<readonly Searchable[], ReadonlySet<Searchable>>();
const setOf = (items: readonly Searchable[]) => {
  let set = sets.get(items);
  if (!set) sets.set(items, (set = new Set(items)));
  return set;
};

/** Builds the index in slices, yielding between them (no long task on first use). */
export async function buildIndex(items: readonly Searchable[], slice = 500): Promise<Index> {
  const postings = new Map<string, number[]>();
  for (let i = 0; i < items.length; i++) {
    const f = foldedOf(items[i]!);
    const words = new Set(f.all.split(WORD));
    for (const t of items[i]!.tags) words.add(`#${fold(t)}`);
    for (const w of words) {
      if (!w) continue;
      const list = postings.get(w);
      if (list) list.push(i);
      else postings.set(w, [i]);
    }
    if (i % slice === slice - 1) await new Promise((r) => setTimeout(r, 0));
  }
  const words = [...postings.keys()].sort();
  return { items, held: setOf(items), postings, words };
}

/** Indexes into `index.items` of the records with a word starting with `prefix`. */
function withPrefix(index: Index, prefix: string, out: (i: number) => void): void {
  let lo = 0;
  let hi = index.words.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.words[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  for (let w = lo; w < index.words.length && index.words[w]!.startsWith(prefix); w++)
    for (const i of index.postings.get(index.words[w]!)!) out(i);
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
  for (let at = hay.indexOf(word); at >= 0; at = hay.indexOf(word, at + 1))
    if (at === 0 || !/[\p{L}\p{N}]/u.test(hay[at - 1]!)) return true;
  return false;
};

/** A word-start match of every term, and its score (0: no match). */
function scoreOf(item: Searchable, words: Array<{ word: string; tag: boolean }>): number {
  const f = foldedOf(item);
  let score = 0;
  for (const { word, tag } of words) {
    if (tag) {
      if (!f.tags.includes(` ${word}`)) return 0;
      score += f.tags.includes(` ${word} `) ? 6 : 4;
    } else if (startsWord(f.title, word)) score += 8;
    else if (startsWord(f.tags, word)) score += 4;
    else if (startsWord(f.all, word)) score += 2;
    else return 0;
  }
  return score;
}

/**
 * Records where every word starts a word (a "#word" starts a tag), best first:
 * a word in the title outranks one among the tags, which outranks one in the
 * body; then newer first. `index` (built over an earlier list) narrows the
 * candidates; records it doesn't hold are scanned.
 */
export function search(
  items: readonly Searchable[],
  query: string,
  index?: Index | null,
  limit = 50,
): { hits: Hit[]; total: number } {
  const words = terms(query);
  if (!words.length) return { hits: [], total: 0 };
  let candidates: Iterable<Searchable> = items;
  if (index) {
    // Records the index holds that every term reaches (marks[i] = terms matched so far).
    const marks = new Uint8Array(index.items.length);
    words.forEach(({ word, tag }, t) =>
      withPrefix(index, tag ? `#${word}` : word, (i) => {
        if (marks[i] === t) marks[i] = t + 1;
      }),
    );
    const current = setOf(items);
    const found: Searchable[] = [];
    marks.forEach((m, i) => {
      if (m === words.length && current.has(index.items[i]!)) found.push(index.items[i]!);
    });
    // Added or changed since the index was built: scanned.
    candidates = [...found, ...items.filter((s) => !index.held.has(s))];
  }
  const hits: Hit[] = [];
  for (const item of candidates) {
    const score = scoreOf(item, words);
    if (score) hits.push({ item, score });
  }
  const total = hits.length;
  hits.sort((a, b) => b.score - a.score || (b.item.at < a.item.at ? -1 : b.item.at > a.item.at ? 1 : 0));
  return { hits: hits.slice(0, limit), total };
}
