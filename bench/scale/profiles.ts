/**
 * What the data generator (bench/scale/generate.ts) fills: a profile is many
 * ordinary users whose sizes follow a long tail, plus one big account.
 *
 * An ordinary user's sizes are `rate × w`, where the user's weight
 * w = min(cap, u^-0.7) for a uniform u (a Pareto tail, α ≈ 1.43: mean ≈ 3.2,
 * most users small, a few hundred times the median at the top). Counts are
 * rounded stochastically, so small rates still give some users a record.
 */

/** Per-account sizes; the big account states them outright, ordinary users get `rate × w`. */
export interface AccountSizes {
  inbox: number;
  todos: number;
  references: number;
  /** Bytes of each reference's content. */
  refBytes: number;
  loops: number;
  libraries: number;
  tracksPerLibrary: number;
  conversations: number;
  messagesPerConversation: number;
  /** Custom rewards (the user's own market items). */
  rewards: number;
  /** Ledger rows after the welcome grant (alternating earns and purchases). */
  transactions: number;
  sessions: number;
  /** Idempotency keys of the last 25 h (the TTL is 24 h: ~4 % are due for expiry). */
  keys: number;
  likes: number;
  plays: number;
  /** Records created and deleted in the last 30 days: an upsert and a tombstone each in the log. */
  ghosts: number;
  /** Mean superseded change-log entries per edited record (exponential). */
  editsMean: number;
}

export interface ScaleProfile {
  name: string;
  users: number;
  /** Users per batch of statements (bounds each statement's sort and memory). */
  batch: number;
  /** Ordinary users' sizes per unit of weight. */
  rate: AccountSizes;
  /** Largest weight (caps the tail). */
  cap: number;
  /** Share of loops that are public (the studio feed). */
  publicShare: number;
  /** The big account (one per fill; null: none). */
  big: AccountSizes | null;
  /**
   * Skip the per-row quota triggers during the fill (each insert transaction
   * disables them for its own table and re-enables them before commit, so no
   * other session ever sees them off). Needed for the big account's 50 000
   * inbox items and 2 000 loops (above today's quotas, README Limits) and for
   * speed at the large size; ordinary users are generated within quotas.
   */
  bypassQuotas: boolean;
  /**
   * Drop the secondary indexes (and the change log's primary key) of the
   * biggest tables for the fill and build them after: a sorted build is
   * several times faster than millions of random inserts. Only for a
   * database of its own (other sessions would see the tables unindexed).
   */
  rebuildIndexes: boolean;
  /** Connections filling batches of users at once (only with `rebuildIndexes`: a database of its own). */
  parallel: number;
}

/** The big account (#22): what a person who captured for years might hold. */
export const BIG_ACCOUNT: AccountSizes = {
  inbox: 50_000,
  todos: 5_000,
  references: 10_000,
  refBytes: 2_000,
  loops: 2_000,
  libraries: 50,
  tracksPerLibrary: 40,
  conversations: 200,
  messagesPerConversation: 10,
  transactions: 400,
  rewards: 50,
  sessions: 3,
  keys: 500,
  likes: 300,
  plays: 500,
  ghosts: 500,
  editsMean: 0.5,
};

const ORDINARY: AccountSizes = {
  inbox: 4,
  todos: 2,
  references: 1,
  refBytes: 300,
  loops: 0.4,
  libraries: 0.1,
  tracksPerLibrary: 6,
  conversations: 0.2,
  messagesPerConversation: 4,
  transactions: 2,
  rewards: 0.3,
  sessions: 0.5,
  keys: 3,
  likes: 2,
  plays: 3,
  ghosts: 0.5,
  editsMean: 3,
};

/** `large`; `medium` is the same shape with fewer users. */
const LARGE: ScaleProfile = {
  name: "large",
  users: 110_000,
  batch: 5_000,
  rate: ORDINARY,
  cap: 300,
  publicShare: 0.4,
  big: BIG_ACCOUNT,
  bypassQuotas: true,
  rebuildIndexes: true,
  parallel: 2,
};

export const PROFILES: Record<string, ScaleProfile> = {
  /** CI: a few hundred users and a scaled-down big account (within quotas): seconds. */
  small: {
    name: "small",
    users: 300,
    batch: 300,
    rate: ORDINARY,
    cap: 40,
    publicShare: 0.4,
    big: {
      ...BIG_ACCOUNT,
      inbox: 500,
      todos: 100,
      references: 100,
      loops: 40,
      libraries: 3,
      tracksPerLibrary: 5,
      conversations: 5,
      transactions: 20,
      rewards: 10,
      keys: 20,
      likes: 20,
      plays: 20,
      ghosts: 20,
    },
    bypassQuotas: false,
    rebuildIndexes: false,
    parallel: 1,
  },
  /** A fifth of `large` (≈ 2 M change-log rows): what a busy 2-core machine fills in minutes. */
  medium: { ...LARGE, name: "medium", users: 20_000 },
  /** Locally (`npm run bench -- --scale large`): ≥ 10 M change-log rows. */
  large: LARGE,
};

export function profileNamed(name: string): ScaleProfile {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown scale profile "${name}" (known: ${Object.keys(PROFILES).join(", ")})`);
  return p;
}
