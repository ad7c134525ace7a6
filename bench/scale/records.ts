/**
 * The record statements of the data generator (bench/scale/generate.ts): one
 * INSERT … SELECT per table per batch of users, reading the per-user sizes
 * from the session's `scale_plan` temp table. Plain SQL text: the numbers
 * interpolated here are the generator's own (never input from outside).
 *
 * Time model (what a database under the hourly jobs looks like, not a fresh
 * import): a record is created at a uniform time in its user's life; an
 * edited record's last edit falls in the last 30 days + 1 h, and only the
 * change-log entries of that window survive compaction (bench/scale/log.ts).
 */

/** The retention window the jobs keep superseded entries and tombstones for, plus the hour the next run will prune. */
export const WINDOW = `interval '30 days 1 hour'`;

/**
 * FROM clause of `count` rows per user of the batch, as `t` with: user_id,
 * username, g (1..count), c (created_at), version, u (updated_at), r3, r4
 * (spare uniforms). Randoms are drawn in an inner select (volatile, so never
 * pulled up): one draw per row.
 */
export function rowsOf(count: string, lo: number, hi: number, at: string): string {
  return `(
    select s.*,
      case when s.e = 0 then 1 when s.c >= s.at - ${WINDOW} then s.e + 1 else s.e + 2 end as version,
      case when s.e = 0 then s.c
           else greatest(s.c, s.at - ${WINDOW}) + (s.at - greatest(s.c, s.at - ${WINDOW})) * s.r2 end as u
    from (
      select p.id as user_id, p.username, p.n, g, A.at, p.born + (A.at - p.born) * random() as c,
        floor(-ln(1 - random()) * p.edits_mean)::int as e, random() as r2, random() as r3, random() as r4,
        p.public_share, p.ref_bytes, p.tracks, p.msgs
      from scale_plan p cross join lateral generate_series(1, p.${count}) g, ${anchor(at)}
      where p.n between ${lo} and ${hi}
    ) s
  ) t`;
}

/** The anchor (fill start) as a one-row relation `A(at)`, so every statement shares one "now". */
export const anchor = (at: string) => `(select '${at}'::timestamptz as at) A`;

/** The balance after ledger row i (welcome 100, then +25 / −15 alternately). */
const BALANCE = (i: string) => `(100 + 25 * ((${i} + 1) / 2) - 15 * (${i} / 2))`;

const TAGS = `case g % 5 when 0 then '{work}'::text[] when 1 then '{home,later}'::text[] when 2 then '{idea}'::text[]
  when 3 then '{reading,work}'::text[] else '{}'::text[] end`;
const WORDS = `(array['focus','music','study','design','garden','travel','kitchen','budget'])`;

export interface TableStep {
  /** The table the step is named after (the fill report's per-step times). */
  table: string;
  /** Table → its per-row quota triggers the step's inserts fire (bypassed with profiles.ts `bypassQuotas`). */
  quotaTriggers: Record<string, string[]>;
  sql: (lo: number, hi: number, at: string) => string;
}

export const RECORD_STEPS: TableStep[] = [
  {
    table: "users",
    quotaTriggers: {},
    sql: (lo, hi) => `
      insert into users (id, email, username, password_hash, created_at, updated_at)
      select id, username || '@scale.local', username, password_hash, born, born
      from scale_plan where n between ${lo} and ${hi}`,
  },
  {
    table: "settings",
    quotaTriggers: {},
    sql: (lo, hi) => `
      insert into settings (id, user_id, theme, accessibility, ui, sync, created_at, updated_at)
      select gen_random_uuid(), id, 'system', '{"reduced_motion":false,"high_contrast":false,"font_scale":1}',
        '{}', '{"mode":"auto","poll_interval_s":30}', born, born
      from scale_plan where n between ${lo} and ${hi}`,
  },
  {
    // The ledger: the welcome grant, then earns (+25) and purchases (−15, each with its purchase row)
    // alternately, so balance_after stays ≥ 0; a user with any focus earned also holds the "first
    // session" achievement (+20, last). The wallet is the ledger's sum.
    table: "market_transactions",
    quotaTriggers: {},
    sql: (lo, hi, at) => `
      with base as materialized (
        select p.id as user_id, p.txs, i, i = p.txs + 1 as ach, gen_random_uuid() as rid,
          p.born + (A.at - p.born) * (i::float8 / (p.txs + 2)) as at,
          ${BALANCE("least(i, p.txs)")} + case when i = p.txs + 1 then 20 else 0 end as balance_after
        from scale_plan p cross join lateral generate_series(0, p.txs + (p.txs >= 1)::int) i, ${anchor(at)}
        where p.n between ${lo} and ${hi}),
      purchases as (
        insert into user_market_purchases (id, user_id, item_id, item_name, price, consumable, created_at, updated_at)
        select rid, user_id, '00000000-0000-4000-8000-00000000c002', 'Stretch break', 15, true, at, at
        from base where i > 0 and i % 2 = 0 and not ach
        returning 1),
      rewards as (
        insert into user_rewards (id, user_id, achievement, bonus, earned_at, created_at, updated_at)
        select rid, user_id, 'first_session', 20, at, at, at from base where ach
        returning 1),
      wallets as (
        insert into user_wallet (id, user_id, balance, lifetime_earned, version, created_at, updated_at)
        select gen_random_uuid(), user_id, (array_agg(balance_after order by i desc))[1],
          100 + 25 * ((txs + 1) / 2) + case when bool_or(ach) then 20 else 0 end, 1 + max(i), min(at), max(at)
        from base group by user_id, txs
        returning 1)
      insert into market_transactions (id, user_id, amount, balance_after, kind, source_type, source_id, description,
        created_at, updated_at)
      select gen_random_uuid(), user_id,
        case when ach then 20 when i = 0 then 100 when i % 2 = 1 then 25 else -15 end,
        balance_after,
        case when ach or i = 0 or i % 2 = 1 then 'earn' else 'purchase' end,
        case when ach then 'achievement' when i = 0 then 'welcome' when i % 2 = 1 then 'focus_session' else 'purchase' end,
        case when ach then rid when i = 0 then user_id when i % 2 = 1 then gen_random_uuid() else rid end,
        case when ach then 'Achievement: First focus' when i = 0 then 'Welcome to the market'
             when i % 2 = 1 then '25 focused minutes' else 'Stretch break' end,
        at, at
      from base`,
  },
  {
    // Custom rewards: the user's own market items (always consumable, no slug).
    table: "market_items",
    quotaTriggers: { market_items: ["quota_custom_rewards"] },
    sql: (lo, hi, at) => `
      insert into market_items (id, user_id, name, description, price, tags, consumable, version, created_at, updated_at)
      select gen_random_uuid(), user_id, 'Treat ' || g, 'Something nice after ' || ${WORDS}[1 + g % 8], 10 + (g * 37) % 500,
        '{treat}', true, version, c, u
      from ${rowsOf("rewards", lo, hi, at)}`,
  },
  {
    table: "inbox_items",
    quotaTriggers: { inbox_items: ["quota_inbox_items"] },
    sql: (lo, hi, at) => `
      insert into inbox_items (id, user_id, title, description, tags, done_at, archived_at, version, created_at, updated_at)
      select gen_random_uuid(), user_id, 'Captured ' || ${WORDS}[1 + g % 8] || ' note ' || g,
        case when r4 < 0.5 then '' else 'Remember to look at the ' || ${WORDS}[1 + (g / 8) % 8] || ' list before Friday.' end,
        ${TAGS}, case when r3 < 0.3 then u end, case when r3 < 0.15 then u end, version, c, u
      from ${rowsOf("inbox", lo, hi, at)}`,
  },
  {
    table: "todos",
    quotaTriggers: { todos: ["quota_todos"] },
    sql: (lo, hi, at) => `
      insert into todos (id, user_id, title, done, due_at, version, created_at, updated_at)
      select gen_random_uuid(), user_id, 'Do the ' || ${WORDS}[1 + g % 8] || ' thing #' || g, r3 < 0.4,
        case when r4 < 0.3 then u + interval '3 days' end, version, c, u
      from ${rowsOf("todos", lo, hi, at)}`,
  },
  {
    table: "reference_items",
    quotaTriggers: { reference_items: ["quota_reference_items"] },
    sql: (lo, hi, at) => `
      insert into reference_items (id, user_id, title, content, url, category, tags, pinned, archived, version,
        created_at, updated_at)
      select gen_random_uuid(), user_id, 'On ' || ${WORDS}[1 + g % 8] || ', part ' || g,
        left(repeat(md5(g::text || user_id::text) || ' notes about ' || ${WORDS}[1 + g % 8] || ' and '
          || ${WORDS}[1 + (g / 8) % 8] || ' worth keeping. ', ceil(ref_bytes / 80.0)::int + 1), ref_bytes),
        case when r4 < 0.4 then 'https://example.com/ref/' || g end,
        (array['reading','work','music','recipes'])[1 + g % 4], ${TAGS}, r3 < 0.05, r3 > 0.95, version, c, u
      from ${rowsOf("refs", lo, hi, at)}`,
  },
  {
    table: "loops",
    quotaTriggers: { loops: ["quota_loops"] },
    sql: (lo, hi, at) => `
      insert into loops (id, user_id, owner_username, name, bars, bpm, color, chord_progression, icon_sequence,
        visibility, remixable, version, created_at, updated_at)
      select gen_random_uuid(), user_id, username, 'Loop ' || g, (array[1,2,4,8])[1 + g % 4], 60 + (g * 7) % 120,
        '#' || substr(md5(g::text || user_id::text), 1, 6), '["Am7","F","C","G"]', '["🥁","🎩","👏","🎩"]',
        case when r3 < public_share then 'public' else 'private' end, r4 < 0.3, version, c, u
      from ${rowsOf("loops", lo, hi, at)}`,
  },
  {
    // A library's tracks each play an audio file of the same user (bytes in R2 are not part of the DB's cost).
    table: "focus_tracks",
    quotaTriggers: {},
    sql: (lo, hi, at) => `
      with libs as materialized (
        select user_id, g, gen_random_uuid() as lib_id, c, tracks from ${rowsOf("libs", lo, hi, at)}),
      tr as materialized (
        select libs.*, k, gen_random_uuid() as audio_id from libs cross join lateral generate_series(0, libs.tracks - 1) k),
      l as (
        insert into focus_libraries (id, user_id, name, description, favorite, created_at, updated_at)
        select lib_id, user_id, 'Library ' || g, 'Music for ' || ${WORDS}[1 + g % 8], g % 5 = 0, c, c from libs
        returning 1),
      a as (
        insert into audio_files (id, user_id, filename, content_type, format, size, checksum, etag, duration_s, r2_key,
          created_at, updated_at)
        select audio_id, user_id, 'track-' || g || '-' || k || '.mp3', 'audio/mpeg', 'mp3', 400000,
          'sha256:' || md5(audio_id::text) || md5(lib_id::text), '"' || md5(audio_id::text) || '"', 180,
          'u/' || user_id || '/' || audio_id || '/' || gen_random_uuid(), c, c
        from tr
        returning 1)
      insert into focus_tracks (id, user_id, library_id, title, audio_id, duration_s, position, created_at, updated_at)
      select gen_random_uuid(), user_id, lib_id, 'Track ' || (k + 1), audio_id, 180, k, c, c from tr`,
  },
  {
    table: "messages",
    quotaTriggers: { conversations: ["quota_conversations"], messages: ["quota_messages"] },
    sql: (lo, hi, at) => `
      with convs as materialized (
        select user_id, g, gen_random_uuid() as conv_id, c, u, msgs from ${rowsOf("convs", lo, hi, at)}),
      cv as (
        insert into conversations (id, user_id, title, status, created_at, updated_at)
        select conv_id, user_id, 'Planning ' || ${WORDS}[1 + g % 8], 'idle', c, u from convs
        returning 1)
      insert into messages (id, user_id, conversation_id, seq, role, content, created_at, updated_at)
      select gen_random_uuid(), user_id, conv_id, k, case when k % 2 = 1 then 'user' else 'assistant' end,
        case when k % 2 = 1 then 'What should I focus on today?' else 'Start with the inbox, then one deep-work block.' end,
        c + (u - c) * (k::float8 / (msgs + 1)), c + (u - c) * (k::float8 / (msgs + 1))
      from convs cross join lateral generate_series(1, convs.msgs) k`,
  },
  {
    // Device sessions expiring over the next 30 days; the first hour's are already due for the expiry job.
    table: "sessions",
    quotaTriggers: { sessions: ["quota_device_sessions"] },
    sql: (lo, hi, at) => `
      insert into sessions (user_id, token_hash, user_agent, created_at, last_seen_at, expires_at, kind)
      select p.id, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), 'scale-generator',
        e - interval '30 days', e - interval '30 days', e, 'device'
      from ${anchor(at)}, scale_plan p cross join lateral generate_series(1, p.sess) g,
        lateral (select A.at - interval '1 hour' + random() * (interval '30 days 1 hour') + g * interval '0 s' as e) x
      where p.n between ${lo} and ${hi}`,
  },
  {
    // Keys of the last 25 h (24 h TTL): the oldest hour is due for the expiry job.
    table: "idempotency_keys",
    quotaTriggers: {},
    sql: (lo, hi, at) => `
      insert into idempotency_keys (user_id, key, request_hash, status, headers, body, created_at, claimed_on)
      select p.id, gen_random_uuid()::text, md5(g::text) || md5(p.id::text), 201,
        '{"content-type":"application/json"}', '{"id":"' || gen_random_uuid() || '","title":"' || repeat('x', 200) || '"}',
        x.t, (x.t at time zone 'UTC')::date
      from scale_plan p cross join lateral generate_series(1, p.keys) g, ${anchor(at)},
        lateral (select A.at - random() * interval '25 hours' + g * interval '0 s' as t) x
      where p.n between ${lo} and ${hi}`,
  },
];
