/** web/src/ui/format.ts: Intl-based display helpers (Node's ICU, default locale). */
import { describe, expect, it } from "vitest";
import { bytes, clock, count, focusedSeconds, minutes, percent } from "../../web/src/ui/format.ts";

describe("format", () => {
  it("counts down as m:ss / h:mm:ss", () => {
    expect(clock(1500)).toBe("25:00");
    expect(clock(40)).toBe("0:40");
    expect(clock(3725)).toBe("1:02:05");
    expect(clock(-3)).toBe("0:00");
  });

  it("says lengths of time, numbers and sizes the way Intl does", () => {
    const min = (n: number) =>
      new Intl.NumberFormat(undefined, { style: "unit", unit: "minute", unitDisplay: "short" }).format(n);
    expect(minutes(1500)).toMatch(/^25\s?min/);
    expect(minutes(0)).toBe(min(0));
    expect(minutes(5400)).toMatch(/1\D+30/);
    expect(count(1234567)).toBe(new Intl.NumberFormat().format(1234567));
    expect(percent(0.875)).toBe(new Intl.NumberFormat(undefined, { style: "percent" }).format(0.88));
    expect(bytes(1_536_000)).toMatch(/^1[.,]5\s?MB$/);
    expect(bytes(12)).toMatch(/^12\s?bytes$/);
  });

  it("counts the time focused, not the plan, for a session ended early", () => {
    // Planned 25 min, 11 min left when completed: 14 min focused.
    expect(focusedSeconds({ duration_s: 1500, remaining_s: 660 })).toBe(840);
    expect(minutes(focusedSeconds({ duration_s: 1500, remaining_s: 660 }))).toMatch(/^14\b/);
    // Ran to the end (or past it): the whole plan.
    expect(focusedSeconds({ duration_s: 1500, remaining_s: 0 })).toBe(1500);
  });
});
