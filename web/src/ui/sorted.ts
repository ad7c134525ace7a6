// A sorted copy of a list that changes a few records at a time (an edit in a
// list of 50 000): the records that left are dropped and the ones that came
// are put in by binary search, instead of sorting everything again. Records
// are compared by object: the sync store replaces a record's object when it
// changes, so an edited record leaves and comes back in its new place.

/** Beyond this many arrivals, sorting afresh is as cheap. */
const FEW = 64;

export function sortedCopy<T extends object>(): (input: readonly T[], compare: (a: T, b: T) => number) => T[] {
  let prevIn: readonly T[] | null = null;
  let prevOut: T[] = [];
  let prevCompare: ((a: T, b: T) => number) | null = null;
  return (input, compare) => {
    let out: T[] | null = null;
    if (prevIn && compare === prevCompare && Math.abs(input.length - prevIn.length) <= FEW) {
      const left = new Set(prevIn);
      const came: T[] = [];
      for (const r of input) if (!left.delete(r) && came.push(r) > FEW) break;
      if (came.length <= FEW) {
        out = left.size ? prevOut.filter((r) => !left.has(r)) : prevOut.slice();
        for (const r of came) out.splice(upperBound(out, r, compare), 0, r);
      }
    }
    out ??= input.slice().sort(compare);
    prevIn = input;
    prevOut = out;
    prevCompare = compare;
    return out;
  };
}

/** The first index whose record sorts after `r` (equal ones stay before it, as a stable sort keeps them). */
function upperBound<T>(list: readonly T[], r: T, compare: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(list[mid]!, r) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
