// The Search screen's matching and ranking (web/src/ui/search-index.ts): the
// index and the plain scan agree, accents and case fold, "#word" asks the
// tags, and records changed after the index was built are still found.
import { describe, expect, test } from "vitest";
import { buildIndex, search, type Searchable } from "../../web/src/ui/search-index.ts";

const rec = (kind: Searchable["kind"], id: string, title: string, body = "", tags: string[] = [], at = "2026-01-01") =>
  ({ kind, id, title, body, tags, at }) as Searchable;

const items = [
  rec("inbox_item", "1", "Café with Zoë", "bring the notes", ["meetings"], "2026-01-03"),
  rec("reference", "2", "Crème brûlée", "Torch the sugar. Café optional.", ["desserts"], "2026-01-02"),
  rec("todo", "3", "Réserver l'hôtel", "", [], "2026-01-01"),
  rec("inbox_item", "4", "Recafeinate", "", ["cafe-notes"], "2026-01-04"),
];
const ids = (r: { hits: { item: Searchable }[] }) => r.hits.map((h) => h.item.id);

describe("search everything", () => {
  test("accents and case fold; every word must start a word; title outranks body, then newer first", async () => {
    const index = await buildIndex(items);
    for (const idx of [null, index]) {
      // Title, then a tag ("cafe-notes"), then the body; never "Recafeinate" (a word's middle).
      expect(ids(search(items, "cafe", idx))).toEqual(["1", "4", "2"]);
      expect(ids(search(items, "CAFÉ zo", idx))).toEqual(["1"]);
      expect(ids(search(items, "hotel reserver", idx))).toEqual(["3"]);
      expect(ids(search(items, "creme sugar", idx))).toEqual(["2"]);
      expect(search(items, "nothing-like-it", idx)).toEqual({ hits: [], total: 0 });
      expect(search(items, "   ", idx)).toEqual({ hits: [], total: 0 });
    }
  });

  test('"#word" asks the tags only (a prefix of a tag); a plain word finds tags too', async () => {
    const index = await buildIndex(items);
    for (const idx of [null, index]) {
      expect(ids(search(items, "#desserts", idx))).toEqual(["2"]);
      expect(ids(search(items, "#dess", idx))).toEqual(["2"]);
      expect(ids(search(items, "#sugar", idx))).toEqual([]);
      expect(ids(search(items, "#cafe", idx))).toEqual(["4"]);
      expect(ids(search(items, "meetings", idx))).toEqual(["1"]);
    }
  });

  test("records added or changed after the index was built are found; removed ones are not", async () => {
    const index = await buildIndex(items);
    const edited = rec("todo", "3", "Réserver le train", "", [], "2026-01-01");
    const added = rec("reference", "5", "Train timetable", "", [], "2026-01-05");
    const now = [items[0]!, items[1]!, edited, added];
    expect(ids(search(now, "train", index))).toEqual(["5", "3"]);
    expect(ids(search(now, "hotel", index))).toEqual([]);
    expect(ids(search(now.slice(1), "zoe", index))).toEqual([]);
  });

  test("at most `limit` hits, with the total", async () => {
    const many = Array.from({ length: 120 }, (_, i) => rec("inbox_item", String(i), `note ${i}`));
    const r = search(many, "note", await buildIndex(many), 50);
    expect(r.total).toBe(120);
    expect(r.hits).toHaveLength(50);
  });
});
