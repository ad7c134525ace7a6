// Cursors are opaque and strictly increasing per user. Today they are decimal
// strings (the change-log sequence), which must compare numerically, not as
// text ("10" > "9"); anything else falls back to length-then-lexicographic.
export function compareCursor(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = a.replace(/^0+(?=\d)/, "");
    const y = b.replace(/^0+(?=\d)/, "");
    if (x.length !== y.length) return x.length - y.length;
    return x < y ? -1 : x > y ? 1 : 0;
  } else if (a.length !== b.length) {
    return a.length - b.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when the feed position `have` already includes the change at `want`. */
export function reached(have: string | null, want: string): boolean {
  return have !== null && compareCursor(have, want) >= 0;
}
