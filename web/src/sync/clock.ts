// Server clock estimate from HTTP `Date` headers, so countdowns agree across
// devices whose clocks disagree. `Date` has 1 s resolution, so each response
// only bounds the offset to an interval; intersecting the intervals of many
// responses narrows it to well under a second.
export class ServerClock {
  private lo = -Infinity;
  private hi = Infinity;

  constructor(private readonly now: () => number) {}

  /** sentAt/receivedAt are local times around the request. */
  observe(dateHeader: string | null, sentAt: number, receivedAt: number): void {
    if (!dateHeader) return;
    const server = Date.parse(dateHeader);
    if (Number.isNaN(server) || receivedAt - sentAt > 10_000) return;
    // Server time was in [server, server + 1000) at some local instant in [sentAt, receivedAt].
    const lo = server - receivedAt;
    const hi = server + 1000 - sentAt;
    const nlo = Math.max(this.lo, lo);
    const nhi = Math.min(this.hi, hi);
    if (nlo > nhi) {
      // Someone's clock jumped: start over from this sample.
      this.lo = lo;
      this.hi = hi;
    } else {
      this.lo = nlo;
      this.hi = nhi;
    }
  }

  /** server time ≈ local time + offsetMs(); 0 until a response has been seen. */
  offsetMs(): number {
    if (!Number.isFinite(this.lo) || !Number.isFinite(this.hi)) return 0;
    return Math.round((this.lo + this.hi) / 2);
  }

  serverNow(): number {
    return this.now() + this.offsetMs();
  }
}
