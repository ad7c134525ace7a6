// Display helpers. Every date, time, duration and number the UI shows goes
// through `Intl` in the browser's locale (undefined = the user's default);
// nothing here builds a date or number string by hand.

/** Intl.DurationFormat (Chromium 129+, Safari 16.4+, Firefox 136+) — not yet in TypeScript's lib. */
type DurationParts = { hours?: number; minutes?: number; seconds?: number };
interface DurationFormat {
  format(d: DurationParts): string;
}
type DurationFormatCtor = new (locale?: string, o?: { style?: "digital" | "short" | "long" }) => DurationFormat;
const DurationFormat = (Intl as unknown as { DurationFormat?: DurationFormatCtor }).DurationFormat;

const shortDuration = DurationFormat && new DurationFormat(undefined, { style: "short" });
const unit = (u: string) => new Intl.NumberFormat(undefined, { style: "unit", unit: u, unitDisplay: "short" });
const hourUnit = unit("hour");
const minuteUnit = unit("minute");
const twoDigits = new Intl.NumberFormat(undefined, { minimumIntegerDigits: 2 });
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/**
 * A countdown/position: 1500 → "25:00", 3725 → "1:02:05", in the locale's
 * digits. (Not DurationFormat's "digital" style: Chromium pads it to "00:40".)
 */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const hours = Math.floor(s / 3600);
  const mins = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const mm = hours ? twoDigits.format(mins) : integer.format(mins);
  return `${hours ? `${integer.format(hours)}:` : ""}${mm}:${twoDigits.format(seconds)}`;
}

/** A length of time: 1500 → "25 min", 5400 → "1 hr, 30 min" (as the locale says it). */
export function minutes(totalSeconds: number): string {
  const total = Math.round(totalSeconds / 60);
  const parts = { hours: Math.floor(total / 60), minutes: total % 60 };
  if (shortDuration && total) return shortDuration.format(parts); // zero parts are left out
  if (!total) return minuteUnit.format(0);
  if (!parts.hours) return minuteUnit.format(total);
  return parts.minutes
    ? `${hourUnit.format(parts.hours)} ${minuteUnit.format(parts.minutes)}`
    : hourUnit.format(parts.hours);
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function relative(iso: string, now = Date.now()): string {
  const diff = (Date.parse(iso) - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return rtf.format(0, "second"); // "now"
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 7 * 86_400) return rtf.format(Math.round(diff / 86_400), "day");
  return dtf.format(new Date(iso));
}

export function dateTime(iso: string): string {
  return dtf.format(new Date(iso));
}

/** A count: 1234 → "1,234" (or "1.234", "1 234"…). */
export function count(n: number): string {
  return integer.format(n);
}

/** 0.875 → "88%" (or "88 %"…). */
export function percent(fraction: number): string {
  return new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 }).format(fraction);
}

const BYTE_UNITS = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;
/** 1_536_000 → "1.5 MB" (decimal units, like file managers). */
export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < BYTE_UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return new Intl.NumberFormat(undefined, {
    style: "unit",
    unit: BYTE_UNITS[u],
    unitDisplay: u === 0 ? "long" : "short",
    maximumFractionDigits: u === 0 || v >= 10 ? 0 : 1,
  }).format(v);
}

/** Seconds actually focused: the planned time minus what was left when it ended (or now). */
export function focusedSeconds(s: { duration_s: number; remaining_s: number }): number {
  return Math.max(0, s.duration_s - s.remaining_s);
}

/** "Chrome on macOS" from a User-Agent string. */
export function describeAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
      ? "Opera"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Chrome\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : /^node\b/.test(ua)
              ? "Script (Node.js)"
              : ua.split(/[\s/]/)[0] || "Unknown client";
  const os = /iPhone|iPad|iPod/.test(ua)
    ? "iOS"
    : /Android/.test(ua)
      ? "Android"
      : /CrOS/.test(ua)
        ? "ChromeOS"
        : /Mac OS X|Macintosh/.test(ua)
          ? "macOS"
          : /Windows/.test(ua)
            ? "Windows"
            : /Linux/.test(ua)
              ? "Linux"
              : "";
  return os ? `${browser} on ${os}` : browser;
}

export const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.userAgent);
