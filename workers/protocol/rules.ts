/**
 * Plain values and rules shared by the Worker and the web app: defaults,
 * limits, tag normalisation, the focus timer's arithmetic and the error
 * codes. No zod and no drizzle here — the web imports this file as a value
 * (`@protocol/rules.ts`), so whatever is in it ships in the bundle. The zod
 * schemas in this folder take their limits from here; web forms use the same
 * numbers for `maxlength`, hints and checks before sending.
 */

// ---- error codes ----------------------------------------------------------------

/** Every `error.code` the API sends (SPEC §3). Keys are the codes themselves, so a search finds every use. */
export const ErrorCode = {
  // request shape
  malformed_request: "malformed_request",
  validation_failed: "validation_failed",
  invalid_archive: "invalid_archive",
  invalid_query: "invalid_query",
  invalid_header: "invalid_header",
  invalid_if_match: "invalid_if_match",
  invalid_idempotency_key: "invalid_idempotency_key",
  invalid_cursor: "invalid_cursor",
  unsupported_media_type: "unsupported_media_type",
  payload_too_large: "payload_too_large",
  upgrade_required: "upgrade_required",
  cross_site_request: "cross_site_request",
  // auth
  unauthorized: "unauthorized",
  invalid_credentials: "invalid_credentials",
  wrong_password: "wrong_password",
  email_taken: "email_taken",
  username_taken: "username_taken",
  device_session_required: "device_session_required",
  rate_limited: "rate_limited",
  // records
  not_found: "not_found",
  version_conflict: "version_conflict",
  id_conflict: "id_conflict",
  restore_blocked: "restore_blocked",
  nothing_to_undo: "nothing_to_undo",
  not_undoable: "not_undoable",
  idempotency_key_reused: "idempotency_key_reused",
  idempotency_in_progress: "idempotency_in_progress",
  cursor_expired: "cursor_expired",
  // domains
  focus_not_running: "focus_not_running",
  focus_session_running: "focus_session_running",
  focus_session_ended: "focus_session_ended",
  library_full: "library_full",
  audio_in_use: "audio_in_use",
  forbidden: "forbidden",
  loop_in_use: "loop_in_use",
  quota_exceeded: "quota_exceeded",
  // market
  insufficient_funds: "insufficient_funds",
  already_owned: "already_owned",
  already_refunded: "already_refunded",
  refund_window_closed: "refund_window_closed",
  not_owned: "not_owned",
  // assistant and MCP
  conversation_busy: "conversation_busy",
  tool_call_not_pending: "tool_call_not_pending",
  lease_expired: "lease_expired",
  assistant_unavailable: "assistant_unavailable",
  invalid_tool_call: "invalid_tool_call",
  unknown_tool: "unknown_tool",
  method_not_allowed: "method_not_allowed",
  not_acceptable: "not_acceptable",
  // audio bytes
  empty_body: "empty_body",
  length_required: "length_required",
  invalid_content_length: "invalid_content_length",
  length_mismatch: "length_mismatch",
  filename_required: "filename_required",
  invalid_filename: "invalid_filename",
  invalid_audio_id: "invalid_audio_id",
  unsupported_audio_format: "unsupported_audio_format",
  invalid_part_number: "invalid_part_number",
  invalid_parts: "invalid_parts",
  upload_incomplete: "upload_incomplete",
  upload_interrupted: "upload_interrupted",
  size_mismatch: "size_mismatch",
  range_not_satisfiable: "range_not_satisfiable",
  // the server's own trouble
  database_unavailable: "database_unavailable",
  internal_error: "internal_error",
  http_error: "http_error",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

// ---- lifetimes ------------------------------------------------------------------

/**
 * A readable cookie (not HttpOnly, no secret: its value is "1") set and
 * cleared with the HttpOnly `session` cookie: the app reads it to know a
 * session may exist before asking, so a signed-out load makes no request that
 * would 401 (web/src/sync/deps.ts prefetchFeedStart).
 */
export const SIGNED_IN_COOKIE = "signed_in";
/** The HttpOnly cookie that carries a browser's session token. */
export const SESSION_COOKIE = "session";

/** A device session lives this long after its last use (sliding; middleware/auth.ts). */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Idempotency keys and their stored responses are kept at least this long (pruned by jobs/prune.ts). */
export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * A tombstone past the change log's retention makes cursors below it stale
 * (410) at once, but is deleted only this much later, and a walk token
 * (protocol/sync.ts) is honoured for as long: a walk of the feed that began
 * before the floor rose still finds every tombstone it needs.
 */
export const TOMBSTONE_GRACE_MS = 24 * 3_600_000;

/**
 * How the web client reads GET /api/sync/snapshot (web/src/sync/bootstrap.ts; the bench reads it the
 * same way): entries per page after the first (also the `split` it asks ranges of), and pages in flight
 * at once. 4 at once read the big account's snapshot 1.8× faster than 1 from Node on a lightly loaded
 * machine, but at a load of 8–12 the browser's whole load took longer than one page at a time (every
 * page in flight is JSON and IndexedDB work on the same 2 cores): 2 overlaps the round trips only.
 */
export const SNAPSHOT_READ = { page: 5000, concurrency: 2 } as const;

// ---- limits ---------------------------------------------------------------------

/** Lengths are in characters (UTF-16 code units, as JavaScript and zod count them). */
export const LIMITS = {
  tag: 50,
  tagsPerRecord: 20,
  url: 2_048,
  inbox: { title: 500, description: 10_000 },
  reference: { title: 500, content: 100_000, category: 100, query: 200 },
  library: { name: 200, description: 2_000, tracks: 500 },
  track: { title: 300, durationS: 86_400 },
  focus: { label: 200, minDurationS: 60, maxDurationS: 14_400 },
  focusPreset: { name: 60 },
  /** `due_at` years: Postgres has no year 0, and a due date outside these is a typo, not a plan. */
  todo: { title: 500, dueYears: { min: 1900, max: 9999 } },
  assistant: { message: 4_000, conversationTitle: 200, approvals: 20, tokenName: 100, focusMinutes: 240 },
  loop: { name: 100, bars: [1, 2, 4, 8], beatsPerBar: 4, minBpm: 40, maxBpm: 300, icons: 64, icon: 16 },
  song: { title: 200, timeline: 256, maxStartBar: 10_000, maxRepeat: 64 },
} as const;

/**
 * Per-user quotas (README "Limits"): how many of each a user may keep. Enforced
 * by Postgres triggers in the insert's own statement (db/migrations/0014_quotas.sql);
 * over the limit → 413 `quota_exceeded`, `details: {resource, limit}`.
 * `messages` is per conversation; `sessions` counts live signed-in devices.
 */
export const QUOTAS = {
  loops: 1_000,
  songs: 500,
  conversations: 1_000,
  messages: 1_000,
  // Room for the heaviest real use (issue 22's big account: three years of daily
  // capture, 50 000 inbox items, 10 000 references, 5 000 todos) to keep writing.
  // Checked by counting the user's rows in the insert's own statement (an
  // index-only scan, ≈ 0.7 ms per 10 000 rows).
  todos: 10_000,
  inbox_items: 100_000,
  references: 20_000,
  custom_rewards: 200,
  sessions: 100,
  access_tokens: 50,
  focus_presets: 50,
} as const;
export type QuotaResource = keyof typeof QUOTAS;

// ---- settings -------------------------------------------------------------------

export const FONT_SCALE = { min: 0.75, max: 2 } as const;
export const POLL_INTERVAL_S = { min: 5, max: 300 } as const;
/** Free-form `ui` preferences stay small: at most this many bytes as JSON. */
export const UI_MAX_BYTES = 4096;

/** A new account's settings, and what "reset" goes back to. */
export const SETTINGS_DEFAULTS = {
  theme: "system" as const,
  accessibility: { reduced_motion: false, high_contrast: false, font_scale: 1 },
  ui: {} as Record<string, unknown>,
  sync: { mode: "auto" as const, poll_interval_s: 30 },
  /** The accent of an owned market theme; a reset clears it (the time zone stays: a fact, not a taste). */
  accent: null as string | null,
};

// ---- tags -----------------------------------------------------------------------

/** Tags are case-insensitive: stored trimmed and lowercased. */
export const normalizeTag = (tag: string) => tag.trim().toLowerCase();

/** Normalised and unique, first occurrence first. */
export const normalizeTags = (tags: readonly string[]) => [...new Set(tags.map(normalizeTag))];

// ---- focus sessions -------------------------------------------------------------

/** The soundscapes the web generates (web/src/audio/soundscapes.ts), sold in the Market. */
export const SOUNDSCAPES = ["brown", "rain", "cafe"] as const;

/** A song's time signatures; the first is the default. */
export const TIME_SIGNATURES = ["4/4", "3/4"] as const;
export type TimeSignature = (typeof TIME_SIGNATURES)[number];
export const DEFAULT_TIME_SIGNATURE: TimeSignature = TIME_SIGNATURES[0];

/** The chord qualities the SPEC allows ("" is major), in the order a picker lists them. */
export const CHORD_QUALITIES = ["", "m", "7", "m7", "maj7", "dim", "aug", "sus2", "sus4"] as const;
export type ChordQuality = (typeof CHORD_QUALITIES)[number];
export const CHORD_PATTERN = new RegExp(
  `^([A-G])([#b]?)(${CHORD_QUALITIES.filter(Boolean)
    .sort((a, b) => b.length - a.length)
    .join("|")})?$`,
);
export type SoundscapeKind = (typeof SOUNDSCAPES)[number];

/** A focus session's clock, as times in ms since the epoch (null: not paused / not ended). */
export interface FocusClock {
  durationS: number;
  startedAt: number;
  pausedAt: number | null;
  pausedTotalS: number;
  endedAt: number | null;
}

/**
 * Seconds left at `now`, derived from timestamps, never from a running timer:
 * duration − (elapsed wall time − time spent paused). While paused the clock
 * stops at pausedAt; once ended, at endedAt. Rounded to the millisecond.
 */
export function focusRemainingS(s: FocusClock, now: number): number {
  const end = s.endedAt ?? s.pausedAt ?? now;
  const focused = (end - s.startedAt) / 1000 - s.pausedTotalS;
  return Math.max(0, Math.round((s.durationS - focused) * 1000) / 1000);
}

/** When a running session's time is up (ms since the epoch). */
export const focusEndsAt = (s: Pick<FocusClock, "durationS" | "startedAt" | "pausedTotalS">) =>
  s.startedAt + (s.durationS + s.pausedTotalS) * 1000;
