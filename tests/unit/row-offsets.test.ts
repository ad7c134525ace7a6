/**
 * VirtualList's row offsets (web/src/components/row-offsets.ts): a Fenwick tree
 * must answer exactly what a plain running sum over the sizes answers, after
 * any sequence of measured rows.
 */
import { describe, expect, test } from "vitest";
import { RowOffsets } from "../../web/src/components/row-offsets.ts";

/** The plain answer: starts[i] = sum of sizes before i; firstAfter by a linear scan. */
const plain = (sizes: number[]) => {
  const starts = [0];
  for (const s of sizes) starts.push(starts.at(-1)! + s);
  const firstAfter = (y: number) => {
    const i = starts.findIndex((v) => v > y);
    return i < 0 ? sizes.length : i;
  };
  return { starts, firstAfter };
};

/** A small seeded generator, so a failure can be replayed. */
const rng = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

describe("RowOffsets", () => {
  test("an empty list: no rows, no height", () => {
    const o = new RowOffsets(0, () => 96);
    expect(o.start(0)).toBe(0);
    expect(o.firstAfter(-1)).toBe(0);
    expect(o.firstAfter(500)).toBe(0);
  });

  for (const n of [1, 2, 7, 64, 1000, 1023]) {
    test(`${n} rows: starts and lookups match a running sum after rows are measured`, () => {
      const random = rng(n);
      const sizes = Array.from({ length: n }, () => 96);
      const o = new RowOffsets(n, () => 96);
      for (let round = 0; round < 200; round++) {
        const i = Math.floor(random() * n);
        sizes[i] = 40 + Math.floor(random() * 120);
        o.set(i, sizes[i]!);
        const p = plain(sizes);
        const at = Math.floor(random() * (n + 1));
        expect(o.start(at)).toBe(p.starts[at]);
        expect(o.size(i)).toBe(sizes[i]);
        for (const y of [
          -5,
          0,
          p.starts[at]!,
          p.starts[at]! - 0.5,
          random() * p.starts[n]!,
          p.starts[n]!,
          p.starts[n]! + 10,
        ])
          expect(o.firstAfter(y), `y=${y}`).toBe(p.firstAfter(y));
      }
      expect(o.start(n)).toBe(sizes.reduce((a, b) => a + b, 0));
    });
  }

  test("built from varied sizes, as a list with measured rows is", () => {
    const sizes = Array.from({ length: 5000 }, (_, i) => 80 + ((i * 37) % 50));
    const o = new RowOffsets(sizes.length, (i) => sizes[i]!);
    const p = plain(sizes);
    for (let i = 0; i <= sizes.length; i += 97) expect(o.start(i)).toBe(p.starts[i]);
    for (let y = -1; y < p.starts.at(-1)! + 200; y += 3331) expect(o.firstAfter(y)).toBe(p.firstAfter(y));
  });
});
