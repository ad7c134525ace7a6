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
  body: string;
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
    const body = fold(s.body);
    f = { title, tags, body, all: `${title}\n${tags}\n${body}` };
    folded.set(s, f);
  }
  return f;
}

const WORD = /[^\p{L}\p{N}]+/u;

/**
 * word → the records holding it, as `i * 4 + field` (3 title, 2 tags, 1 body: where the
 * word stands highest in record i); "#tag" words for the tags. `items` are ordered newest
 * first, so a query ranks by walking them in order (no sort of tens of thousands of hits).
 */
export interface Index {
  items: readonly Searchable[];
  held: ReadonlySet<Searchable>;
  postings: Map<string, number[]>;
  /** Sorted, for prefix ranges. */
  words: string[];
}

/** The records of a list as a set, once per list (a list is replaced, never changed, when records change). */
const sets = new WeakMap<readonly Searchable[], ReadonlySet<Searchable>>();
const setOf = (items: readonly Searchable[]) => {
  let set = sets.get(items);
  if (!set) sets.set(items, (set = new Set(items)));
  return set;
};

const newestFirst = (a: Searchable, b: Searchable) => (b.at < a.at ? -1 : b.at > a.at ? 1 : 0);

/** Builds the index in slices, yielding between them (no long task on first use). */
export async function buildIndex(items: readonly Searchable[], slice = 500): Promise<Index> {
  const sorted = [...items].sort(newestFirst);
  const postings = new Map<string, number[]>();
  const rank = new Map<string, number>();
  const note = (words: string[], r: number) => {
    for (const w of words) if (w && (rank.get(w) ?? 0) < r) rank.set(w, r);
  };
  for (let i = 0; i < sorted.length; i++) {
    const item = sorted[i]!;
    const f = foldedOf(item);
    rank.clear();
    note(f.title.split(WORD), 3);
    note(f.tags.split(WORD), 2);
    note(f.body.split(WORD), 1);
    for (const t of item.tags) rank.set(`#${fold(t)}`, 2);
    for (const [w, r] of rank) {
      const list = postings.get(w);
      if (list) list.push(i * 4 + r);
      else postings.set(w, [i * 4 + r]);
    }
    if (i % slice === slice - 1) await new Promise((r) => setTimeout(r, 0));
  }
  const words = [...postings.keys()].sort();
  const index: Index = { items: sorted, held: setOf(items), postings, words };
  // It holds every record of `items`: the first query over that list has nothing to scan.
  unheld.set(items, { index, items: [] });
  return index;
}

/** Every word of the index starting with `prefix`, with its postings. */
function withPrefix(index: Index, prefix: string, out: (word: string, postings: number[]) => void): void {
  let lo = 0;
  let hi = index.words.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.words[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  for (let w = lo; w < index.words.length && index.words[w]!.startsWith(prefix); w++)
    out(index.words[w]!, index.postings.get(index.words[w]!)!);
}

/** Per field rank (postings' low bits): the score scoreOf gives a word found there. */
const FIELD_SCORE = [0, 2, 4, 8];

/** The current list's records the index doesn't hold (added or changed since), once per (list, index). */
const unheld = new WeakMap<readonly Searchable[], { index: Index; items: Searchable[] }>();
function notIndexed(items: readonly Searchable[], index: Index): Searchable[] {
  const have = unheld.get(items);
  if (have?.index === index) return have.items;
  const list = items.filter((s) => !index.held.has(s));
  unheld.set(items, { index, items: list });
  return list;
}

const scratches = new WeakMap<Index, [Uint8Array, Uint8Array, Uint16Array]>();

/**
 * The index's answer: every record all terms reach, scored from the postings, the best
 * `limit` kept per score while walking newest first.
 */
function fromIndex(
  index: Index,
  current: ReadonlySet<Searchable>,
  words: Array<{ word: string; tag: boolean }>,
  limit: number,
): { hits: Hit[]; total: number } {
  const n = index.items.length;
  // Scratch arrays, one set per index (no 3 × n bytes of garbage per keystroke).
  let scratch = scratches.get(index);
  if (!scratch) scratches.set(index, (scratch = [new Uint8Array(n), new Uint8Array(n), new Uint16Array(n)]));
  const [marks, term, score] = scratch; // terms matched so far, this term's best score, the sum
  marks.fill(0);
  score.fill(0);
  words.forEach(({ word, tag }, t) => {
    withPrefix(index, tag ? `#${word}` : word, (w, list) => {
      const tagScore = w === `#${word}` ? 6 : 4;
      for (const p of list) {
        const i = p >> 2;
        if (marks[i]! < t) continue;
        const s = tag ? tagScore : FIELD_SCORE[p & 3]!;
        if (marks[i] === t) {
          marks[i] = t + 1;
          term[i] = s;
        } else if (term[i]! < s) term[i] = s;
      }
    });
    for (let i = 0; i < n; i++) if (marks[i] === t + 1) score[i] += term[i]!;
  });
  const best = new Map<number, Hit[]>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (marks[i] !== words.length || !current.has(index.items[i]!)) continue;
    total++;
    let bucket = best.get(score[i]!);
    if (!bucket) best.set(score[i]!, (bucket = []));
    if (bucket.length < limit) bucket.push({ item: index.items[i]!, score: score[i]! });
  }
  const hits = [...best.keys()].sort((a, b) => b - a).flatMap((s) => best.get(s)!);
  return { hits: hits.slice(0, limit), total };
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
  let indexed: { hits: Hit[]; total: number } = { hits: [], total: 0 };
  if (index) {
    indexed = fromIndex(index, setOf(items), words, limit);
    // Added or changed since the index was built: scanned.
    candidates = notIndexed(items, index);
  }
  const hits: Hit[] = [];
  for (const item of candidates) {
    const score = scoreOf(item, words);
    if (score) hits.push({ item, score });
  }
  const total = indexed.total + hits.length;
  hits.push(...indexed.hits);
  hits.sort((a, b) => b.score - a.score || newestFirst(a.item, b.item));
  return { hits: hits.slice(0, limit), total };
}
