/**
 * The Postgres schema (drizzle). Postgres is the single source of truth; the
 * migrations in db/migrations are generated from this file by drizzle-kit.
 *
 * Conventions for user-owned, synced records (see workers/sync/): `id` uuid
 * (client may supply it), `user_id`, `version` (1 on create, +1 per change),
 * `created_at`, `updated_at`.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  foreignKey,
  type AnyPgColumn,
  index,
  integer,
  jsonb,
  type PgColumnBuilderBase,
  pgPolicy,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import {
  DEFAULT_TIME_SIGNATURE,
  LIMITS,
  SOUNDSCAPES,
  TIME_SIGNATURES,
  type SoundscapeKind,
} from "../workers/protocol/rules.ts";

/**
 * Constraint names the code decides on (workers/errors.ts `pgError()` reports
 * the one a statement violated): named once, used by the table below and by
 * the code that maps the violation to an API error.
 */
export const CONSTRAINT = {
  usersEmail: "users_email_key",
  usersUsername: "users_username_key",
  focusOneRunning: "focus_sessions_one_running",
  audioUploadKey: "audio_uploads_audio_key",
  loopsId: "loops_id_key",
  loopsNotOwnParent: "loops_not_own_parent",
  marketItemsPkey: "market_items_pkey",
  purchaseOwnedOnce: "user_market_purchases_owned_once",
  transactionSource: "market_transactions_source_key",
} as const;

/**
 * A text column's length CHECK, its limit the one the zod schemas use (LIMITS,
 * workers/protocol/rules.ts), so the two cannot drift: `char_length between
 * min and max`, or `<= max` when any length up to it will do. A null passes.
 */
export const lengthCheck = (name: string, col: AnyPgColumn, max: number, min = 0) =>
  check(
    name,
    min > 0
      ? sql`char_length(${col}) between ${sql.raw(String(min))} and ${sql.raw(String(max))}`
      : sql`char_length(${col}) <= ${sql.raw(String(max))}`,
  );

/** A number column lies in [min, max] (LIMITS). */
export const rangeCheck = (name: string, col: AnyPgColumn, min: number, max: number) =>
  check(name, sql`${col} between ${sql.raw(String(min))} and ${sql.raw(String(max))}`);

/** A text column holds one of `values` (or null). */
export const oneOfCheck = (name: string, col: AnyPgColumn, values: readonly string[]) =>
  check(name, sql`${col} in (${sql.raw(values.map((v) => `'${v}'`).join(", "))})`);

/** An array column holds at most `max` elements (LIMITS). */
export const cardinalityCheck = (name: string, col: AnyPgColumn, max: number) =>
  check(name, sql`cardinality(${col}) <= ${sql.raw(String(max))}`);

/** Generic in the name so a row type keeps its column names (the wire keys, protocol/declare.ts). */
const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, mode: "date" });

/** A synced table's primary key (see recordColumns). */
export const recordKey = (t: { userId: AnyPgColumn; id: AnyPgColumn }) => primaryKey({ columns: [t.userId, t.id] });

/**
 * Columns every synced record has. Its key is (user_id, id) — `recordKey(t)`
 * in the table's extras: ids are unique per user, so a client-chosen id that
 * another user happens to hold is simply free for this one (nothing about the
 * other record is revealed, not even that it exists).
 */
export const recordColumns = () => ({
  id: uuid("id").notNull(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  version: integer("version").notNull().default(1),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/**
 * A plain synced record type's table, declared with its record
 * (workers/protocol/<type>.ts, `declareRecord`): `recordColumns()` and its
 * key, the newest-first index the plain list reads, the type's CHECKs, and
 * its per-user quota as a restrictive INSERT policy that drizzle-kit
 * generates with the table (`continuum_within_quota()`, 0039: the same lock,
 * count and 413 as 0014's quota triggers). Row-level security itself comes
 * from scripts/migrate.ts for every user table (0039), so the table's only
 * migration is the generated one.
 */
export function recordTable<N extends string, C extends Record<string, PgColumnBuilderBase>>(
  name: N,
  columns: C,
  opts: { quota: number; checks?: (t: Record<keyof C, AnyPgColumn>) => ReturnType<typeof check>[] },
) {
  return pgTable(name, { ...recordColumns(), ...columns }, (t) => [
    recordKey(t),
    index(`${name}_user_created_idx`).on(t.userId, t.createdAt),
    ...(opts.checks?.(t as never) ?? []),
    pgPolicy("quota", {
      as: "restrictive",
      for: "insert",
      to: "public",
      withCheck: sql.raw(`continuum_within_quota('${name}', ${opts.quota}, user_id)`),
    }),
  ]);
}

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    /** Last change-log position handed out for this user (the sync cursor). */
    changeSeq: bigint("change_seq", { mode: "number" }).notNull().default(0),
    /** Cursors below this lost a pruned tombstone: they get 410 cursor_expired. */
    changeFloor: bigint("change_floor", { mode: "number" }).notNull().default(0),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex(CONSTRAINT.usersEmail).on(sql`lower(${t.email})`),
    uniqueIndex(CONSTRAINT.usersUsername).on(t.username),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** SHA-256 of the bearer token, hex. The token itself is never stored. */
    tokenHash: text("token_hash").notNull(),
    userAgent: text("user_agent"),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    /** `device`: a sign-in (sliding expiry); `token`: a personal access token (lives until revoked). */
    kind: text("kind", { enum: ["device", "token"] })
      .notNull()
      .default("device"),
    /** The name a personal access token was given (null for devices). */
    name: text("name"),
    /**
     * What the session may do: `full` (devices; tokens made for API clients) or
     * `mcp` (a personal access token accepted at /mcp only).
     */
    scope: text("scope", { enum: ["full", "mcp"] })
      .notNull()
      .default("full"),
    /** A name the user gave this device ("Work laptop"); null shows the browser and system. */
    deviceName: text("device_name"),
  },
  (t) => [
    uniqueIndex("sessions_token_hash_key").on(t.tokenHash),
    index("sessions_user_idx").on(t.userId),
    // The hourly expiry finds the expired sessions by range, not by reading them all (issue 22).
    index("sessions_expires_idx").on(t.expiresAt),
    check("sessions_kind", sql`${t.kind} in ('device', 'token')`),
    check("sessions_token_named", sql`(${t.kind} = 'token') = (${t.name} is not null)`),
    check("sessions_scope", sql`${t.scope} in ('full', 'mcp') and (${t.kind} = 'token' or ${t.scope} = 'full')`),
    check("sessions_device_name_length", sql`char_length(${t.deviceName}) between 1 and 60`),
  ],
);

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    // No foreign key: making or dropping a day's partition would lock `users` too, and deadlock
    // with writers (db/migrations/0046). A trigger on users deletes an account's keys instead.
    userId: uuid("user_id").notNull(),
    key: text("key").notNull(),
    /** SHA-256 of method + path + body: a reused key with another request is refused. */
    requestHash: text("request_hash").notNull(),
    /** null while the first request is still running. */
    status: integer("status"),
    headers: jsonb("headers").$type<Record<string, string>>(),
    body: text("body"),
    /**
     * Set by the request's write statement itself (workers/sync/write.ts), so
     * it commits with the write: `{entity, row, cursor}` of the last record
     * written. A claim with an outcome is never taken over (the write must not
     * run twice); if storing the response failed, the replay is rebuilt from it.
     */
    outcome: jsonb("outcome").$type<{
      entity: string;
      row: Record<string, unknown>;
      cursor: string;
      rows?: Record<string, Record<string, unknown>>;
    }>(),
    createdAt: ts("created_at").notNull().defaultNow(),
    /**
     * The UTC day of the claim: the table is partitioned by it (db/migrations/0046), so
     * expired keys leave by dropping a day's partition. Set once (a renewed claim keeps
     * its day). The claim checks every partition under a per-key lock: the key is
     * unique per user across days, though the primary key must include the day.
     */
    claimedOn: date("claimed_on")
      .notNull()
      .default(sql`((now() at time zone 'UTC')::date)`),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key, t.claimedOn] }),
    index("idempotency_keys_created_idx").on(t.createdAt),
  ],
);

/** Per-user append-only change log; `seq` is the cursor. Compacted by the cron job. */
export const changeLog = pgTable(
  "change_log",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    seq: bigint("seq", { mode: "number" }).notNull(),
    entity: text("entity").notNull(),
    recordId: uuid("record_id").notNull(),
    op: text("op", { enum: ["upsert", "delete"] }).notNull(),
    version: integer("version").notNull(),
    data: jsonb("data"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.seq] }),
    index("change_log_record_idx").on(t.userId, t.entity, t.recordId, t.seq),
    // The hourly compaction walks only the last window's entries by time (workers/jobs/prune.ts),
    // keyset by (created_at, user_id, seq); due tombstones have their own small index.
    index("change_log_created_idx").on(t.createdAt, t.userId, t.seq),
    index("change_log_tombstone_idx")
      .on(t.createdAt)
      .where(sql`op = 'delete'`),
    // A user's tombstones after a cursor: is one of them past the retention (→ 410)? (workers/data/changes.ts)
    index("change_log_user_tombstone_idx")
      .on(t.userId, t.seq, t.createdAt)
      .where(sql`op = 'delete'`),
  ],
);

export const settings = pgTable(
  "settings",
  {
    ...recordColumns(),
    theme: text("theme", { enum: ["light", "dark", "system"] })
      .notNull()
      .default("system"),
    accessibility: jsonb("accessibility")
      .$type<{ reduced_motion: boolean; high_contrast: boolean; font_scale: number }>()
      .notNull(),
    ui: jsonb("ui").$type<Record<string, unknown>>().notNull(),
    sync: jsonb("sync").$type<{ mode: "auto" | "socket" | "poll"; poll_interval_s: number }>().notNull(),
    /** IANA zone name, set from the browser on first use; "days" (streaks) are the user's local days. */
    timeZone: text("time_zone"),
    /** Accent of an owned market theme (`effect.accent`, e.g. "forest"); null = the default accent. */
    accent: text("accent"),
  },
  (t) => [recordKey(t), uniqueIndex("settings_user_key").on(t.userId)],
);

export const inboxItems = pgTable(
  "inbox_items",
  {
    ...recordColumns(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    tags: text("tags").array().notNull().default([]),
    /** When it was ticked off (null: open). */
    doneAt: ts("done_at"),
    /** When it was put away (null: in the inbox). */
    archivedAt: ts("archived_at"),
  },
  (t) => [
    recordKey(t),
    index("inbox_items_user_created_idx").on(t.userId, t.createdAt),
    index("inbox_items_tags_idx").using("gin", t.tags),
    lengthCheck("inbox_items_title_length", t.title, LIMITS.inbox.title, 1),
    lengthCheck("inbox_items_description_length", t.description, LIMITS.inbox.description),
    cardinalityCheck("inbox_items_tags_count", t.tags, LIMITS.tagsPerRecord),
  ],
);

export const focusSessions = pgTable(
  "focus_sessions",
  {
    ...recordColumns(),
    label: text("label"),
    durationS: integer("duration_s").notNull(),
    status: text("status", { enum: ["active", "paused", "completed", "abandoned"] })
      .notNull()
      .default("active"),
    startedAt: ts("started_at").notNull().defaultNow(),
    /** Set while paused. */
    pausedAt: ts("paused_at"),
    /** Total seconds spent paused in earlier pauses. */
    pausedTotalS: real("paused_total_s").notNull().default(0),
    endedAt: ts("ended_at"),
  },
  (t) => [
    recordKey(t),
    index("focus_sessions_user_started_idx").on(t.userId, t.startedAt),
    // At most one running (active or paused) session per user, enforced by Postgres.
    uniqueIndex(CONSTRAINT.focusOneRunning)
      .on(t.userId)
      .where(sql`status in ('active', 'paused')`),
  ],
);

/** Postgres full-text document; written only by a generated column. */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/**
 * Audio metadata (synced). The bytes live in R2 under `r2_key`;
 * `etag` is R2's (quoted) and serves conditional GETs without an R2 call.
 */
export const audioFiles = pgTable(
  "audio_files",
  {
    ...recordColumns(),
    filename: text("filename").notNull(),
    /** Sniffed from the bytes, not taken from the client. */
    contentType: text("content_type").notNull(),
    format: text("format", { enum: ["mp3", "wav", "ogg", "flac", "m4a", "aac", "webm"] }).notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    /** `sha256:<hex>`, or for multipart uploads the composite `sha256:<hex of the parts' digests>-<parts>`. */
    checksum: text("checksum").notNull(),
    etag: text("etag").notNull(),
    durationS: real("duration_s"),
    /**
     * The R2 object: `u/<user_id>/<id>/<attempt>`, unique per upload attempt, so
     * a racing attempt that loses can delete its own bytes and never the
     * winner's. Null for files stored before attempts had keys: `u/<user_id>/<id>`.
     */
    r2Key: text("r2_key"),
  },
  (t) => [recordKey(t), index("audio_files_user_created_idx").on(t.userId, t.createdAt)],
);

/** Multipart uploads in progress (not synced); removed on complete/abort or by the cron job after 24 h. */
export const audioUploads = pgTable(
  "audio_uploads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The audio record the upload becomes. */
    audioId: uuid("audio_id").notNull(),
    r2UploadId: text("r2_upload_id").notNull(),
    filename: text("filename").notNull(),
    /** Declared total size: the quota is checked against it up front and at completion. */
    size: bigint("size", { mode: "number" }).notNull(),
    /** Set when part 1 arrives and its first bytes are sniffed. */
    format: text("format", { enum: ["mp3", "wav", "ogg", "flac", "m4a", "aac", "webm"] }),
    contentType: text("content_type"),
    durationS: real("duration_s"),
    /** This attempt's R2 object (see audio_files.r2_key); null for uploads begun before attempts had keys. */
    r2Key: text("r2_key"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex(CONSTRAINT.audioUploadKey).on(t.userId, t.audioId),
    index("audio_uploads_created_idx").on(t.createdAt),
  ],
);

export const audioUploadParts = pgTable(
  "audio_upload_parts",
  {
    uploadId: uuid("upload_id")
      .notNull()
      .references(() => audioUploads.id, { onDelete: "cascade" }),
    partNumber: integer("part_number").notNull(),
    etag: text("etag").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);

export const focusLibraries = pgTable(
  "focus_libraries",
  {
    ...recordColumns(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    favorite: boolean("favorite").notNull().default(false),
  },
  (t) => [recordKey(t), index("focus_libraries_user_idx").on(t.userId, t.favorite, t.createdAt)],
);

/** A saved focus length with an optional soundtrack (protocol/focus-presets.ts). */
export const focusPresets = pgTable(
  "focus_presets",
  {
    ...recordColumns(),
    name: text("name").notNull(),
    minutes: integer("minutes").notNull(),
    soundscape: text("soundscape", { enum: SOUNDSCAPES }),
    libraryId: uuid("library_id"),
  },
  (t) => [
    recordKey(t),
    index("focus_presets_user_created_idx").on(t.userId, t.createdAt),
    lengthCheck("focus_presets_name_length", t.name, LIMITS.focusPreset.name, 1),
    rangeCheck("focus_presets_minutes", t.minutes, LIMITS.focus.minDurationS / 60, LIMITS.focus.maxDurationS / 60),
    oneOfCheck("focus_presets_soundscape", t.soundscape, SOUNDSCAPES),
  ],
);

/** A track plays an uploaded audio file or an external URL (exactly one). `position` is dense, 0-based. */
export const focusTracks = pgTable(
  "focus_tracks",
  {
    ...recordColumns(),
    libraryId: uuid("library_id").notNull(),
    title: text("title").notNull(),
    audioId: uuid("audio_id"),
    url: text("url"),
    durationS: real("duration_s"),
    position: integer("position").notNull(),
  },
  (t) => [
    recordKey(t),
    // References within one user (the keys are per user): a track can't point at another user's library or audio.
    foreignKey({
      columns: [t.userId, t.libraryId],
      foreignColumns: [focusLibraries.userId, focusLibraries.id],
    }).onDelete("cascade"),
    foreignKey({ columns: [t.userId, t.audioId], foreignColumns: [audioFiles.userId, audioFiles.id] }),
    index("focus_tracks_library_position_idx").on(t.userId, t.libraryId, t.position),
    index("focus_tracks_audio_idx").on(t.userId, t.audioId),
    check("focus_tracks_one_source", sql`(${t.audioId} is null) <> (${t.url} is null)`),
  ],
);

export const referenceItems = pgTable(
  "reference_items",
  {
    ...recordColumns(),
    title: text("title").notNull(),
    content: text("content").notNull().default(""),
    url: text("url"),
    category: text("category"),
    tags: text("tags").array().notNull().default([]),
    pinned: boolean("pinned").notNull().default(false),
    archived: boolean("archived").notNull().default(false),
    audioId: uuid("audio_id"),
    /**
     * `q` search: title, tags and category weigh more than content; 'simple'
     * config (no stemming) suits any language; accents folded (migration 0019).
     */
    search: tsvector("search")
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('simple', continuum_search_words(title, tags, category)), 'A') || setweight(to_tsvector('simple', continuum_unaccent(content)), 'B')`,
      ),
  },
  (t) => [
    recordKey(t),
    foreignKey({ columns: [t.userId, t.audioId], foreignColumns: [audioFiles.userId, audioFiles.id] }),
    index("reference_items_user_created_idx").on(t.userId, t.createdAt),
    index("reference_items_search_idx").using("gin", t.search),
    index("reference_items_tags_idx").using("gin", t.tags),
    index("reference_items_audio_idx").on(t.userId, t.audioId),
    lengthCheck("reference_items_title_length", t.title, LIMITS.reference.title, 1),
    lengthCheck("reference_items_content_length", t.content, LIMITS.reference.content),
    lengthCheck("reference_items_url_length", t.url, LIMITS.url),
    lengthCheck("reference_items_category_length", t.category, LIMITS.reference.category, 1),
    cardinalityCheck("reference_items_tags_count", t.tags, LIMITS.tagsPerRecord),
  ],
);

/** SPEC §5 Assistant: todos are an ordinary synced record. */
export const todos = pgTable(
  "todos",
  {
    ...recordColumns(),
    title: text("title").notNull(),
    done: boolean("done").notNull().default(false),
    dueAt: ts("due_at"),
  },
  (t) => [
    recordKey(t),
    index("todos_user_created_idx").on(t.userId, t.createdAt),
    lengthCheck("todos_title_length", t.title, LIMITS.todo.title, 1),
  ],
);

/**
 * A chat whose whole state lives here. `status` is the state machine
 * (docs/ARCHITECTURE.md); a run holds the conversation with `run_id` until
 * `lease_until`, so a run whose isolate died leaves `running` for `error`.
 */
export const conversations = pgTable(
  "conversations",
  {
    ...recordColumns(),
    title: text("title").notNull(),
    status: text("status", { enum: ["idle", "running", "awaiting_approval", "error"] })
      .notNull()
      .default("idle"),
    runId: uuid("run_id"),
    leaseUntil: ts("lease_until"),
    /** Why the last run failed (status `error`), for the user. */
    lastError: text("last_error"),
  },
  (t) => [
    recordKey(t),
    index("conversations_user_updated_idx").on(t.userId, t.updatedAt),
    // A running conversation always has a claim; no other status has one.
    check("conversations_status", sql`${t.status} in ('idle', 'running', 'awaiting_approval', 'error')`),
    check(
      "conversations_claim",
      sql`(${t.status} = 'running') = (${t.runId} is not null and ${t.leaseUntil} is not null)`,
    ),
  ],
);

/** The model's tool calls and their outcome; approval state is kept here, never on the client. */
export const toolCalls = pgTable(
  "tool_calls",
  {
    ...recordColumns(),
    conversationId: uuid("conversation_id").notNull(),
    /** The id the model gave the call (its reply must cite it). */
    callId: text("call_id").notNull(),
    name: text("name").notNull(),
    input: jsonb("input").$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["pending_approval", "approved", "denied", "executed", "failed"] }).notNull(),
    result: jsonb("result"),
    /** When the user undid what this executed call changed (issue 24); null while it stands. */
    undoneAt: ts("undone_at"),
  },
  (t) => [
    recordKey(t),
    foreignKey({
      columns: [t.userId, t.conversationId],
      foreignColumns: [conversations.userId, conversations.id],
    }).onDelete("cascade"),
    // Not unique: some models reuse call ids across turns; a call's result is matched within its turn.
    // Children are found by (user, parent id): parent ids are per user, so the id alone spans users.
    index("tool_calls_conversation_idx").on(t.userId, t.conversationId, t.status),
    check("tool_calls_status", sql`${t.status} in ('pending_approval', 'approved', 'denied', 'executed', 'failed')`),
  ],
);

/** Ordered by `seq` within a conversation; a `tool` message points at its call. */
export const messages = pgTable(
  "messages",
  {
    ...recordColumns(),
    conversationId: uuid("conversation_id").notNull(),
    seq: integer("seq").notNull(),
    role: text("role", { enum: ["user", "assistant", "tool"] }).notNull(),
    content: text("content").notNull().default(""),
    toolCallId: uuid("tool_call_id"),
  },
  (t) => [
    recordKey(t),
    // Within one user (the keys are per user): a message can't point at another user's conversation or call.
    foreignKey({
      columns: [t.userId, t.conversationId],
      foreignColumns: [conversations.userId, conversations.id],
    }).onDelete("cascade"),
    foreignKey({ columns: [t.userId, t.toolCallId], foreignColumns: [toolCalls.userId, toolCalls.id] }).onDelete(
      "cascade",
    ),
    // Per user: another user's conversation with the same id has its own order (issue 19).
    uniqueIndex("messages_conversation_seq_key").on(t.userId, t.conversationId, t.seq),
    check("messages_role", sql`${t.role} in ('user', 'assistant', 'tool')`),
    check("messages_tool_has_call", sql`(${t.role} = 'tool') = (${t.toolCallId} is not null)`),
  ],
);

/**
 * Studio loops (SPEC §5). The seed's rules are CHECKs here too, not only zod.
 * Counters are set only by the server (likes/remixes in the same transaction as
 * the join row, plays by the queue consumer, all reconciled hourly) and are not
 * part of `version`. `owner_username` is copied from the owner at creation
 * (usernames never change) so a wire record — also one read back from the
 * change log — is built from the row alone.
 */
export const loops = pgTable(
  "loops",
  {
    ...recordColumns(),
    ownerUsername: text("owner_username").notNull(),
    name: text("name").notNull(),
    bars: integer("bars").notNull(),
    bpm: integer("bpm").notNull(),
    color: text("color").notNull(),
    chordProgression: jsonb("chord_progression")
      .$type<string[]>()
      .notNull()
      .$defaultFn(() => []),
    iconSequence: jsonb("icon_sequence")
      .$type<string[]>()
      .notNull()
      .$defaultFn(() => []),
    visibility: text("visibility", { enum: ["private", "public"] })
      .notNull()
      .default("private"),
    remixable: boolean("remixable").notNull().default(false),
    /** Set on remix, never changed; the FK clears it when the parent is deleted. */
    parentLoopId: uuid("parent_loop_id").references((): AnyPgColumn => loops.id, { onDelete: "set null" }),
    /** The parent's owner deleted their account: the remix stays, attributed to "a deleted user". */
    parentOwnerDeleted: boolean("parent_owner_deleted").notNull().default(false),
    playsCount: integer("plays_count").notNull().default(0),
    likesCount: integer("likes_count").notNull().default(0),
    remixesCount: integer("remixes_count").notNull().default(0),
    /**
     * The `top` feed's rank: log-likes plus age, so a like counts e× more per
     * 12.5 h of recency (a time decay whose order never changes as time
     * passes, hence indexable). Derived: not logged, not on the wire.
     */
    hotScore: doublePrecision("hot_score")
      .notNull()
      .generatedAlwaysAs(
        sql`ln(1 + greatest(likes_count, 0)) + extract(epoch from (created_at - timestamptz '2026-01-01 00:00:00+00')) / 45000.0`,
      ),
  },
  (t) => [
    recordKey(t),
    // Public loops are addressed by id across users (GET/like/remix/lineage), so a loop id is
    // unique on its own too; the parent/like/play foreign keys point at it.
    unique(CONSTRAINT.loopsId).on(t.id),
    index("loops_user_created_idx").on(t.userId, t.createdAt),
    index("loops_parent_idx").on(t.parentLoopId),
    // Feed keysets: `new` walks (created_at, id), `top` walks (hot_score, id), public rows only.
    index("loops_feed_new_idx")
      .on(t.createdAt, t.id)
      .where(sql`visibility = 'public'`),
    index("loops_feed_top_idx")
      .on(t.hotScore, t.id)
      .where(sql`visibility = 'public'`),
    lengthCheck("loops_name_len", t.name, LIMITS.loop.name, 1),
    check("loops_bars", sql`${t.bars} in (${sql.raw(LIMITS.loop.bars.join(", "))})`),
    rangeCheck("loops_bpm", t.bpm, LIMITS.loop.minBpm, LIMITS.loop.maxBpm),
    check("loops_color", sql`${t.color} ~ '^#[0-9a-fA-F]{6}$'`),
    check(
      "loops_chords",
      sql`jsonb_typeof(${t.chordProgression}) = 'array' and jsonb_array_length(${t.chordProgression}) <= ${t.bars} * 4`,
    ),
    check(
      "loops_icons",
      sql`jsonb_typeof(${t.iconSequence}) = 'array' and jsonb_array_length(${t.iconSequence}) <= 64`,
    ),
    check("loops_plays_nonneg", sql`${t.playsCount} >= 0`),
    check("loops_likes_nonneg", sql`${t.likesCount} >= 0`),
    check("loops_remixes_nonneg", sql`${t.remixesCount} >= 0`),
    check("loops_visibility", sql`${t.visibility} in ('private', 'public')`),
    check(CONSTRAINT.loopsNotOwnParent, sql`${t.parentLoopId} <> ${t.id}`),
  ],
);

/** A user likes a loop at most once: the primary key is the rule. */
export const loopLikes = pgTable(
  "loop_likes",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    loopId: uuid("loop_id")
      .notNull()
      .references(() => loops.id, { onDelete: "cascade" }),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.loopId] }), index("loop_likes_loop_idx").on(t.loopId)],
);

/** One row per counted play (`id` = the queued message's play id, so a redelivery counts once). */
export const loopPlays = pgTable(
  "loop_plays",
  {
    id: uuid("id").primaryKey(),
    loopId: uuid("loop_id")
      .notNull()
      .references(() => loops.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [index("loop_plays_loop_idx").on(t.loopId)],
);

/**
 * The studio's rate limits (README "Limits": likes, remixes and plays reaching
 * another user, plays per loop), counted in the database by the call that does
 * the write (continuum_rate): the charge commits only with the session check
 * leading it, so an unconfirmed request charges nothing, and the write needs no
 * round trip of its own for it. One row per (user, bucket), the current minute's
 * hits; the hourly prune drops rows of past windows.
 */
export const rateWindows = pgTable(
  "rate_windows",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** `social` (all owners), `social:<owner id>`, `play:<loop id>`. */
    bucket: text("bucket").notNull(),
    /** The start of the wall-clock minute the hits count in. */
    windowStart: ts("window_start").notNull(),
    hits: integer("hits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.bucket] }), index("rate_windows_window_idx").on(t.windowStart)],
);

export interface TimelineEntry {
  loop_id: string;
  start_bar: number;
  repeat: number;
}

/** Songs arrange the owner's loops on bars; `timeline` entries are checked against own loops on write. */
export const songs = pgTable(
  "songs",
  {
    ...recordColumns(),
    title: text("title").notNull(),
    bpm: integer("bpm").notNull(),
    timeSignature: text("time_signature", { enum: TIME_SIGNATURES }).notNull().default(DEFAULT_TIME_SIGNATURE),
    timeline: jsonb("timeline")
      .$type<TimelineEntry[]>()
      .notNull()
      .$defaultFn(() => []),
    visibility: text("visibility", { enum: ["private", "public"] })
      .notNull()
      .default("private"),
  },
  (t) => [
    recordKey(t),
    index("songs_user_created_idx").on(t.userId, t.createdAt),
    // "Which of my songs use this loop?" (loop_in_use) is a containment query.
    index("songs_timeline_idx").using("gin", sql`${t.timeline} jsonb_path_ops`),
    lengthCheck("songs_title_len", t.title, LIMITS.song.title, 1),
    rangeCheck("songs_bpm", t.bpm, LIMITS.loop.minBpm, LIMITS.loop.maxBpm),
    oneOfCheck("songs_time_signature", t.timeSignature, TIME_SIGNATURES),
    check(
      "songs_timeline",
      sql`jsonb_typeof(${t.timeline}) = 'array' and jsonb_array_length(${t.timeline}) <= ${sql.raw(String(LIMITS.song.timeline))}`,
    ),
    check("songs_visibility", sql`${t.visibility} in ('private', 'public')`),
  ],
);

// ---- Market (SPEC §5): coins earned by focusing, spent on catalog items and custom rewards ----

/** What owning an item does in the app; null for custom rewards (their effect is in the user's life). */
export type MarketEffect = { kind: "accent"; accent: string } | { kind: "soundscape"; sound: SoundscapeKind };

/**
 * The catalog (rows with `user_id` null, seeded by the market custom migration)
 * and each user's custom rewards (`user_id` set; always consumable). Only the
 * custom rewards are synced records; the global catalog is read with GET.
 */
export const marketItems = pgTable(
  "market_items",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    version: integer("version").notNull().default(1),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    /** Stable key of a catalog item (settings.accent names one); null for custom rewards. */
    slug: text("slug"),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    price: integer("price").notNull(),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    consumable: boolean("consumable").notNull().default(true),
    active: boolean("active").notNull().default(true),
    effect: jsonb("effect").$type<MarketEffect>(),
  },
  (t) => [
    check("market_items_price_range", sql`${t.price} between 1 and 100000`),
    check("market_items_custom_consumable", sql`${t.userId} is null or ${t.consumable}`),
    check("market_items_slug_only_catalog", sql`(${t.slug} is null) = (${t.userId} is not null)`),
    // The write path's conflict target. Item ids stay globally unique (the primary key): catalog items
    // have no owner, and purchases reference items by id alone.
    uniqueIndex("market_items_user_id_key").on(t.userId, t.id),
    uniqueIndex("market_items_slug_key").on(t.slug),
    index("market_items_user_idx").on(t.userId, t.createdAt),
    index("market_items_tags_idx").using("gin", t.tags),
  ],
);

/** One wallet per user, created with the welcome grant at signup. The cached sum of the ledger. */
export const userWallet = pgTable(
  "user_wallet",
  {
    ...recordColumns(),
    balance: bigint("balance", { mode: "number" }).notNull().default(0),
    lifetimeEarned: bigint("lifetime_earned", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    recordKey(t),
    uniqueIndex("user_wallet_user_key").on(t.userId),
    check("user_wallet_balance_nonnegative", sql`${t.balance} >= 0`),
    check("user_wallet_lifetime_nonnegative", sql`${t.lifetimeEarned} >= 0`),
  ],
);

/**
 * Inventory. Name, price and consumability are copied at purchase time (the
 * price paid is what a refund returns, and a deleted custom reward leaves its
 * history). A live (unrefunded) non-consumable is unique per user and item.
 */
export const userMarketPurchases = pgTable(
  "user_market_purchases",
  {
    ...recordColumns(),
    itemId: uuid("item_id").references(() => marketItems.id, { onDelete: "set null" }),
    itemName: text("item_name").notNull(),
    price: integer("price").notNull(),
    consumable: boolean("consumable").notNull(),
    /** The item's effect when bought: what owning it unlocks (an accent, a soundscape). */
    effect: jsonb("effect").$type<MarketEffect>(),
    refundedAt: ts("refunded_at"),
  },
  (t) => [
    recordKey(t),
    index("user_market_purchases_user_idx").on(t.userId, t.createdAt),
    index("user_market_purchases_item_idx").on(t.itemId),
    // Recommendations sample an item's most recent buyers (continuum_market_co_buyers / _buyers).
    index("user_market_purchases_item_recent_idx")
      .on(t.itemId, t.createdAt.desc(), t.userId)
      .where(sql`${t.refundedAt} is null`),
    uniqueIndex(CONSTRAINT.purchaseOwnedOnce)
      .on(t.userId, t.itemId)
      .where(sql`not ${t.consumable} and ${t.refundedAt} is null`),
    check("user_market_purchases_price_positive", sql`${t.price} > 0`),
  ],
);

/**
 * The append-only ledger (a trigger in the custom migration refuses UPDATE and
 * DELETE). `amount` is signed; `balance_after` is the wallet right after this
 * row; `(user_id, source_type, source_id)` is unique, so nothing is credited twice.
 */
export const marketTransactions = pgTable(
  "market_transactions",
  {
    ...recordColumns(),
    amount: integer("amount").notNull(),
    balanceAfter: bigint("balance_after", { mode: "number" }).notNull(),
    kind: text("kind", { enum: ["earn", "purchase", "refund", "adjust"] }).notNull(),
    sourceType: text("source_type", {
      enum: ["welcome", "focus_session", "achievement", "purchase", "refund", "adjust"],
    }).notNull(),
    sourceId: uuid("source_id").notNull(),
    description: text("description").notNull().default(""),
  },
  (t) => [
    recordKey(t),
    // Ids are per user, so a source is unique per user.
    uniqueIndex(CONSTRAINT.transactionSource).on(t.userId, t.sourceType, t.sourceId),
    index("market_transactions_user_idx").on(t.userId, t.createdAt),
    check("market_transactions_amount_nonzero", sql`${t.amount} <> 0`),
    check("market_transactions_balance_nonnegative", sql`${t.balanceAfter} >= 0`),
    check(
      "market_transactions_sign_matches_kind",
      sql`(${t.kind} in ('earn', 'refund') and ${t.amount} > 0) or (${t.kind} = 'purchase' and ${t.amount} < 0) or ${t.kind} = 'adjust'`,
    ),
  ],
);

/** Achievements earned (the definitions and bonuses live in workers/protocol/market-rules.ts). */
export const userRewards = pgTable(
  "user_rewards",
  {
    ...recordColumns(),
    achievement: text("achievement").notNull(),
    bonus: integer("bonus").notNull(),
    earnedAt: ts("earned_at").notNull().defaultNow(),
  },
  (t) => [
    recordKey(t),
    uniqueIndex("user_rewards_user_achievement_key").on(t.userId, t.achievement),
    check("user_rewards_bonus_positive", sql`${t.bonus} > 0`),
  ],
);
