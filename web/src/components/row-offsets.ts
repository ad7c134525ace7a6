// Where each row of a windowed list starts (VirtualList.tsx): the rows' sizes in
// a Fenwick tree, so a measured row changes one size in O(log n) and a row's
// start, or the row at a scroll position, is found in O(log n). Scrolling a
// list of 50 000 measures a few new rows per frame; shifting every later
// offset by hand was a pass over the whole list per measured row.

export class RowOffsets {
  /** Each row's size (its height and the gap after it), by index. */
  private readonly sizes: Float64Array;
  /** Fenwick tree over `sizes`, 1-based: tree[i] sums sizes (i - lowbit(i), i]. */
  private readonly tree: Float64Array;
  private readonly top: number;
  readonly length: number;

  /** `sizeOf(i)` for every row, once: O(n). */
  constructor(n: number, sizeOf: (i: number) => number) {
    this.length = n;
    this.sizes = new Float64Array(n);
    this.tree = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const s = sizeOf(i);
      this.sizes[i] = s;
      this.tree[i + 1]! += s;
      const up = i + 1 + ((i + 1) & -(i + 1));
      if (up <= n) this.tree[up]! += this.tree[i + 1]!;
    }
    let top = 1;
    while (top * 2 <= n) top *= 2;
    this.top = top;
  }

  size(i: number): number {
    return this.sizes[i]!;
  }

  /** Row i's new size. */
  set(i: number, size: number): void {
    const delta = size - this.sizes[i]!;
    if (!delta) return;
    this.sizes[i] = size;
    for (let j = i + 1; j <= this.length; j += j & -j) this.tree[j]! += delta;
  }

  /** Where row i starts (i = length: the whole height). */
  start(i: number): number {
    let sum = 0;
    for (let j = i; j > 0; j -= j & -j) sum += this.tree[j]!;
    return sum;
  }

  /** The first i with start(i) > y, or length when none (sizes are positive). */
  firstAfter(y: number): number {
    if (y < 0) return 0;
    // The furthest row start at or before y, by descending the tree.
    let at = 0;
    let rest = y;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = at + step;
      if (next <= this.length && this.tree[next]! <= rest) {
        at = next;
        rest -= this.tree[next]!;
      }
    }
    return Math.min(this.length, at + 1);
  }
}
