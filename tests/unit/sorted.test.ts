// web/src/ui/sorted.ts: a sorted copy kept across small changes agrees with sorting afresh.
import { describe, expect, test } from "vitest";
import { sortedCopy } from "../../web/src/ui/sorted.ts";

type R = { id: number; at: number };
const byAt = (a: R, b: R) => a.at - b.at;

describe("sortedCopy", () => {
  test("after edits, additions and removals it equals a fresh stable sort", () => {
    const sort = sortedCopy<R>();
    let list: R[] = Array.from({ length: 500 }, (_, i) => ({ id: i, at: (i * 7919) % 97 }));
    expect(sort(list, byAt)).toEqual(list.slice().sort(byAt));
    for (let round = 0; round < 30; round++) {
      list = list.slice();
      // An edit replaces a record's object; a removal; an addition.
      const at = (round * 31) % list.length;
      list[at] = { ...list[at]!, at: (round * 13) % 97 };
      list.splice((round * 17) % list.length, 1);
      list.push({ id: 1000 + round, at: (round * 5) % 97 });
      const got = sort(list, byAt);
      expect(got.map((r) => r.at)).toEqual(
        list
          .slice()
          .sort(byAt)
          .map((r) => r.at),
      );
      expect(new Set(got)).toEqual(new Set(list));
    }
  });

  test("many changes at once, or another order, sort afresh", () => {
    const sort = sortedCopy<R>();
    const list: R[] = Array.from({ length: 300 }, (_, i) => ({ id: i, at: i % 10 }));
    sort(list, byAt);
    const replaced = list.map((r) => ({ ...r, at: 10 - r.at }));
    expect(sort(replaced, byAt)).toEqual(replaced.slice().sort(byAt));
    const desc = (a: R, b: R) => b.at - a.at;
    expect(sort(replaced, desc)).toEqual(replaced.slice().sort(desc));
  });
});
