/**
 * Likes, plays and the change log of the data generator (bench/scale/generate.ts).
 *
 * The log is built from the records as they stand, so a client that pulls it
 * from the start ends with exactly the tables' state (tests/worker/scale.test.ts
 * checks it): each record's newest entry carries the row as stored
 * (`to_jsonb(row)` minus generated columns, as workers/sync/write.ts logs it);
 * an edited record also has its superseded entries of the last 30 days + 1 h
 * (older ones the hourly compaction has removed); records deleted in that
 * window leave an upsert and a tombstone. Cursors are 1..n per user in time
 * order and `users.change_seq` = n. A user who deleted something has
 * `change_floor` at the last entry before the window (a tombstone pruned there
 * earlier), so a cursor older than retention gets 410.
 */
import { anchor, WINDOW } from "./records.ts";

/** Synced tables whose records only have their newest entry, with the columns not logged (generated). */
const LATEST: [table: string, entity: string][] = [
  ["settings", "settings"],
  ["user_wallet", "wallet"],
  ["market_transactions", "market_transaction"],
  ["user_market_purchases", "market_purchase"],
  ["user_rewards", "market_reward"],
  ["market_items", "market_item"],
  ["focus_libraries", "focus_library"],
  ["focus_tracks", "focus_track"],
  ["audio_files", "audio"],
  ["conversations", "conversation"],
  ["messages", "message"],
];
/** Tables whose records were edited: superseded entries of the window too. */
const EDITED: [table: string, entity: string, generated: string[]][] = [
  ["inbox_items", "inbox_item", []],
  ["todos", "todo", []],
  ["reference_items", "reference", ["search"]],
  ["loops", "loop", ["hot_score"]],
];

const row = (generated: string[]) =>
  generated.length ? `(to_jsonb(t) - array[${generated.map((g) => `'${g}'`).join(", ")}])` : `to_jsonb(t)`;
const batch = (lo: number, hi: number) => `p.n between ${lo} and ${hi}`;

function entries(lo: number, hi: number, at: string): string {
  const latest = LATEST.map(
    ([table, entity]) => `
    select t.user_id, '${entity}' as entity, t.id as record_id, 'upsert' as op, t.version, to_jsonb(t) as data,
      t.updated_at as at
    from scale_plan p join ${table} t on t.user_id = p.id where ${batch(lo, hi)}`,
  );
  const edited = EDITED.map(
    ([table, entity, generated]) => `
    select t.user_id, '${entity}', t.id, 'upsert', v,
      case when v = t.version then ${row(generated)} else jsonb_set(${row(generated)}, '{version}', to_jsonb(v)) end,
      case when v = t.version then t.updated_at
           else greatest(t.created_at, A.at - ${WINDOW})
             + (t.updated_at - greatest(t.created_at, A.at - ${WINDOW})) * ((v - 1)::float8 / (t.version - 1)) end
    from ${anchor(at)}, scale_plan p join ${table} t on t.user_id = p.id
      cross join lateral generate_series(
        case when t.version = 1 or t.created_at >= A.at - ${WINDOW} then 1 else 2 end, t.version) v
    where ${batch(lo, hi)}`,
  );
  // The liker's log holds the like (the write path logs `returning *, loop_id as id, 1 as version`).
  const likes = `
    select t.user_id, 'loop_like', t.loop_id, 'upsert', 1, to_jsonb(t) || jsonb_build_object('id', t.loop_id, 'version', 1),
      t.created_at
    from scale_plan p join loop_likes t on t.user_id = p.id where ${batch(lo, hi)}`;
  // Inbox items created and deleted inside the window: their upsert (a full row) and tombstone.
  const ghosts = `
    select gh.user_id, 'inbox_item', gh.gid, x.op, x.version, x.data, x.at
    from (
      select p.id as user_id, gen_random_uuid() as gid, A.at - ${WINDOW} + ${WINDOW} * random() as t1,
        random() as r, A.at as now_at
      from ${anchor(at)}, scale_plan p cross join lateral generate_series(1, p.ghosts) k
      where ${batch(lo, hi)}) gh
    cross join lateral (values
      ('upsert', 1, to_jsonb(jsonb_populate_record(null::inbox_items, jsonb_build_object(
        'id', gh.gid, 'user_id', gh.user_id, 'version', 1, 'created_at', gh.t1, 'updated_at', gh.t1,
        'title', 'A note deleted later', 'description', '', 'tags', '[]'::jsonb))), gh.t1),
      ('delete', 2, null::jsonb, gh.t1 + (gh.now_at - gh.t1) * gh.r)) x(op, version, data, at)`;
  return [...latest, ...edited, likes, ghosts].join("\n    union all");
}

/**
 * The change log of one batch of users and their cursors and floors, in ONE
 * statement: the cursors come from the inserted rows themselves, so no batch
 * reads the log back (with its primary key dropped for the fill, a read-back
 * by user would scan the whole log per batch: quadratic in the profile).
 */
export function changeLogSql(lo: number, hi: number, at: string): string[] {
  return [
    `with ins as (
       insert into change_log (user_id, seq, entity, record_id, op, version, data, created_at)
       select user_id, row_number() over (partition by user_id order by at, entity, record_id, version),
         entity, record_id, op, version, data, at
       from (${entries(lo, hi, at)}) e(user_id, entity, record_id, op, version, data, at)
       returning user_id, seq, op, created_at)
     update users u set change_seq = s.n, change_floor = case when s.deleter then coalesce(s.floor, 0) else 0 end
     from (
       select c.user_id, max(c.seq) as n, max(c.seq) filter (where c.created_at < A.at - ${WINDOW}) as floor,
         bool_or(c.op = 'delete') as deleter
       from ${anchor(at)}, ins c
       group by c.user_id) s
     where u.id = s.user_id`,
  ];
}

/**
 * Likes and plays of the plan's users on the plan's public loops (popular
 * ones far more: rank = N·u³), then each loop's counters set to the rows'
 * counts (what the hourly reconciliation would find: no drift).
 */
export function likesAndPlaysSql(at: string, publicLoops: number): string[] {
  if (publicLoops === 0) return [];
  const pick = (per: string) => `
    select p.id as user_id, 1 + floor(power(random(), 3) * ${publicLoops})::int as k
    from scale_plan p cross join lateral generate_series(1, p.${per}) g`;
  const when = `pub.created_at + ('${at}'::timestamptz - pub.created_at) * random()`;
  return [
    `insert into loop_likes (user_id, loop_id, created_at)
     select s.user_id, pub.id, ${when} from (${pick("likes")}) s join scale_pub pub using (k)
     on conflict do nothing`,
    `insert into loop_plays (id, loop_id, user_id, created_at)
     select gen_random_uuid(), pub.id, s.user_id, ${when} from (${pick("plays")}) s join scale_pub pub using (k)`,
    `update loops l set likes_count = x.likes, plays_count = x.plays
     from (
       select pub.id, (select count(*) from loop_likes k where k.loop_id = pub.id)::int as likes,
         (select count(*) from loop_plays q where q.loop_id = pub.id)::int as plays
       from scale_pub pub) x
     where l.id = x.id and (x.likes > 0 or x.plays > 0)`,
  ];
}

/** The plan's public loops, numbered 1..N (oldest first) for likesAndPlaysSql. */
export const PUBLIC_LOOPS_SQL = [
  `drop table if exists scale_pub`,
  `create temp table scale_pub as
     select row_number() over (order by l.created_at, l.id)::int as k, l.id, l.created_at
     from scale_plan p join loops l on l.user_id = p.id where l.visibility = 'public'`,
  `create index on scale_pub (k)`,
];
