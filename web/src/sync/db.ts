// The offline cache: server-confirmed records, the outbox of pending
// mutations, and a little metadata. The IndexedDB implementation is
// ./idb-cache.ts (loaded on demand, with idb); the in-memory twin here has
// the same interface and serves tests and browsers that refuse IndexedDB.
import type { User } from "../api/types.ts";

/**
 * Bump when the cached record/outbox format changes. A mismatch drops the
 * record cache and the cursor (refetched from the server), never the outbox:
 * SPEC §4, the record cache may be cleared, the outbox never — its entries are
 * the user's unsent work, carried over by `migrateOutbox`.
 */
export const CACHE_SCHEMA_VERSION = 1;

/**
 * Outbox format steps: `OUTBOX_MIGRATIONS[v]` turns an entry written by
 * version v into version v + 1. The outbox format has not changed since
 * version 1, so there are none yet; a bump that changes `OutboxEntry` adds one.
 */
const OUTBOX_MIGRATIONS: Record<number, (entry: Record<string, unknown>) => Record<string, unknown>> = {};

/**
 * Entries written by cache format `from`, in today's format and order. An
 * entry from an unknown (older than 1, or newer: a rolled-back app) version
 * is kept as it is: replaying it and showing a rejection notice beats
 * discarding the user's edit in silence.
 */
export function migrateOutbox(entries: OutboxEntry[], from: unknown): OutboxEntry[] {
  let version = typeof from === "number" && Number.isInteger(from) ? from : CACHE_SCHEMA_VERSION;
  let out = entries.map((e) => ({ ...e }) as Record<string, unknown>);
  for (; version < CACHE_SCHEMA_VERSION; version++) {
    const step = OUTBOX_MIGRATIONS[version];
    if (step) out = out.map(step);
  }
  return out as unknown as OutboxEntry[];
}

export type Data = Record<string, unknown>;

export interface CachedRecord {
  entity: string;
  id: string;
  version: number;
  data: Data;
}

export type Optimistic = { op: "upsert"; data: Data } | { op: "delete" };

export interface OutboxEntry {
  /** Insertion order; assigned by the store (autoIncrement). */
  seq?: number;
  /** Idempotency-Key: the same for every retry of this mutation. */
  key: string;
  method: string;
  path: string;
  body?: unknown;
  if_match?: number;
  entity: string;
  id: string;
  optimistic: Optimistic | null;
  /** Human description for notices, e.g. "Edit “Buy milk”". */
  label: string;
  created_at: number;
  attempts: number;
  state: "pending" | "committed";
  /** Once committed: the feed must reach this cursor before the overlay retires. */
  sync_cursor?: string;
  /** Once committed: the server's record, shown until retired. */
  server?: Data | null;
  /** The key of an earlier entry this one only makes sense after (an undo of it): dropped if that one is refused. */
  after?: string;
}

export interface Meta {
  schema_version: number;
  cursor: string | null;
  client_id: string | null;
  /** The signed-in user the cache belongs to (lets the app open offline). */
  user: User | null;
}

export interface CacheSnapshot {
  meta: Meta;
  records: CachedRecord[];
  outbox: OutboxEntry[];
  /**
   * Asked with `newest`, a cache may answer `records` with only the newest
   * records (and the settings) and read the rest meanwhile: every record, here.
   */
  rest?: Promise<CachedRecord[]>;
}

/** The IndexedDB database of the offline cache (sync/idb-cache.ts). */
export const CACHE_DB_NAME = "continuum";

export interface SyncCache {
  /** `newest`: the first screen needs only this many of the newest records at once (see CacheSnapshot.rest). */
  load(opts?: { newest?: number }): Promise<CacheSnapshot>;
  meta(): Promise<Meta>;
  readOutbox(): Promise<OutboxEntry[]>;
  /** Applies upserts and deletes and moves the cursor in one transaction. */
  commit(puts: CachedRecord[], deletes: Array<[entity: string, id: string]>, cursor?: string | null): Promise<void>;
  /** Replaces every record (full reload after 410). */
  replaceRecords(records: CachedRecord[], cursor: string | null): Promise<void>;
  addOutbox(entry: OutboxEntry): Promise<number>;
  /** No-op when the entry is already gone (another tab finished it). */
  updateOutbox(entry: OutboxEntry): Promise<void>;
  removeOutbox(seq: number): Promise<void>;
  setMeta(patch: Partial<Meta>): Promise<void>;
  /** Logout / user switch: drop records, outbox, cursor and user; keep client_id. */
  clear(): Promise<void>;
  close(): void;
}

export const emptyMeta = (): Meta => ({
  schema_version: CACHE_SCHEMA_VERSION,
  cursor: null,
  client_id: null,
  user: null,
});

const key = (e: string, id: string) => `${e}\u0000${id}`;
const clone = <T>(v: T): T => structuredClone(v);

export function memoryCache(): SyncCache {
  let meta = emptyMeta();
  const records = new Map<string, CachedRecord>();
  const outbox = new Map<number, OutboxEntry>();
  let nextSeq = 1;

  return {
    async load() {
      return {
        meta: clone(meta),
        records: [...records.values()].map(clone),
        outbox: [...outbox.values()].map(clone),
      };
    },
    async meta() {
      return clone(meta);
    },
    async readOutbox() {
      return [...outbox.values()].map(clone);
    },
    async commit(puts, deletes, cursor) {
      for (const r of puts) records.set(key(r.entity, r.id), clone(r));
      for (const [e, id] of deletes) records.delete(key(e, id));
      if (cursor !== undefined) meta.cursor = cursor;
    },
    async replaceRecords(list, cursor) {
      records.clear();
      for (const r of list) records.set(key(r.entity, r.id), clone(r));
      meta.cursor = cursor;
    },
    async addOutbox(entry) {
      const seq = nextSeq++;
      outbox.set(seq, { ...clone(entry), seq });
      return seq;
    },
    async updateOutbox(entry) {
      if (entry.seq !== undefined && outbox.has(entry.seq)) outbox.set(entry.seq, clone(entry));
    },
    async removeOutbox(seq) {
      outbox.delete(seq);
    },
    async setMeta(patch) {
      meta = { ...meta, ...clone(patch) };
    },
    async clear() {
      records.clear();
      outbox.clear();
      meta = { ...emptyMeta(), client_id: meta.client_id };
    },
    close() {},
  };
}
