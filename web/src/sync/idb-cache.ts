// The offline cache in IndexedDB (one database via idb). deps.ts loads this
// module on demand, so idb stays out of the initial bundle; the interface and
// the in-memory twin are in ./db.ts.
import { openDB, unwrap, type DBSchema, type IDBPDatabase } from "idb";
import {
  CACHE_DB_NAME,
  CACHE_SCHEMA_VERSION,
  emptyMeta,
  migrateOutbox,
  type CachedRecord,
  type Meta,
  type OutboxEntry,
  type SyncCache,
} from "./db.ts";

/** 2: the records' "recent" index (by created_at), so a warm start reads the newest first. */
const IDB_VERSION = 2;

interface CacheDB extends DBSchema {
  records: { key: [string, string]; value: CachedRecord; indexes: { recent: string } };
  outbox: { key: number; value: OutboxEntry };
  meta: { key: string; value: unknown };
}

const META_KEYS = ["schema_version", "cursor", "client_id", "user"] as const;

/** IDBIndex.getAllRecords (newer than the DOM types here): records in either direction, in one request. */
type RecentIndex = IDBIndex & {
  getAllRecords?(options: {
    count?: number;
    direction?: IDBCursorDirection;
  }): IDBRequest<Array<{ value: CachedRecord }>>;
};

const requestResult = <T>(req: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    req.addEventListener("success", () => resolve(req.result));
    req.addEventListener("error", () => reject(req.error));
  });

/** Records read per request when the whole cache is read (a warm start's rest): no single long task. */
const READ_CHUNK = 5000;

/** A plain IndexedDB transaction's end: bulk writes go through raw requests, not a promise per put. */
const finished = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    const failed = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    tx.addEventListener("complete", () => resolve());
    tx.addEventListener("error", failed);
    tx.addEventListener("abort", failed);
  });

export async function openIdbCache(name = CACHE_DB_NAME): Promise<SyncCache> {
  const db: IDBPDatabase<CacheDB> = await openDB<CacheDB>(name, IDB_VERSION, {
    upgrade(d, _old, _new, tx) {
      if (!d.objectStoreNames.contains("records")) d.createObjectStore("records", { keyPath: ["entity", "id"] });
      const records = tx.objectStore("records");
      if (!records.indexNames.contains("recent")) records.createIndex("recent", "data.created_at");
      if (!d.objectStoreNames.contains("outbox"))
        d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      if (!d.objectStoreNames.contains("meta")) d.createObjectStore("meta");
    },
    // A newer tab wants to upgrade: step aside rather than block it.
    blocking() {
      db.close();
    },
  });

  const readMeta = async (): Promise<Meta> => {
    const tx = db.transaction("meta");
    const m = emptyMeta() as unknown as Record<string, unknown>;
    for (const k of META_KEYS) {
      const v = await tx.store.get(k);
      if (v !== undefined) m[k] = v;
    }
    await tx.done;
    return m as unknown as Meta;
  };

  const setMeta = async (patch: Partial<Meta>) => {
    const tx = db.transaction("meta", "readwrite");
    for (const [k, v] of Object.entries(patch)) void tx.store.put(v, k);
    await tx.done;
  };

  const clear = async () => {
    const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
    void tx.objectStore("records").clear();
    void tx.objectStore("outbox").clear();
    void tx.objectStore("meta").put(null, "cursor");
    void tx.objectStore("meta").put(null, "user");
    void tx.objectStore("meta").put(CACHE_SCHEMA_VERSION, "schema_version");
    await tx.done;
  };

  /**
   * Data written by another format version (an app update): the records and
   * the cursor are dropped (the server has them), the outbox is carried over
   * in one transaction with the new version, and replays as usual. The device
   * id and the signed-in user stay, so the app still opens offline, with the
   * queued edits shown.
   */
  const upgradeFormat = async (from: unknown) => {
    const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const queued = migrateOutbox(await outbox.getAll(), from);
    void tx.objectStore("records").clear();
    for (const entry of queued) void outbox.put(entry);
    void tx.objectStore("meta").put(null, "cursor");
    void tx.objectStore("meta").put(CACHE_SCHEMA_VERSION, "schema_version");
    await tx.done;
  };

  /** Every record, read READ_CHUNK at a time in key order, yielding between reads. */
  const readAll = async (): Promise<CachedRecord[]> => {
    const out: CachedRecord[] = [];
    for (let after: [string, string] | null = null; ;) {
      const values: CachedRecord[] = await db.getAll(
        "records",
        after && IDBKeyRange.lowerBound(after, true),
        READ_CHUNK,
      );
      for (const v of values) out.push(v);
      if (values.length < READ_CHUNK) return out;
      const last: CachedRecord = values.at(-1)!;
      after = [last.entity, last.id];
      await new Promise((r) => setTimeout(r, 0));
    }
  };

  const stored = await db.transaction("meta").store.get("schema_version");
  if (stored !== CACHE_SCHEMA_VERSION) await upgradeFormat(stored);

  return {
    async load(opts) {
      const meta = await readMeta();
      const outbox = await db.getAll("outbox");
      if (!opts?.newest) return { meta, records: await db.getAll("records"), outbox };
      // The newest records (any entity) and the settings first; everything else is read after.
      const tx = db.transaction("records");
      const records = await tx.store.getAll(IDBKeyRange.bound(["settings", ""], ["settings", "\uffff"]));
      const recent = unwrap(tx.store.index("recent")) as RecentIndex;
      if (typeof recent.getAllRecords === "function") {
        // One request, newest first, where the browser has it (Chromium 141+): not a cursor step per record.
        const got = await requestResult(recent.getAllRecords({ count: opts.newest, direction: "prev" }));
        for (const { value } of got) if (value.entity !== "settings") records.push(value);
      } else {
        let cursor = await tx.store.index("recent").openCursor(null, "prev");
        for (let n = 0; cursor && n < opts.newest; n++) {
          if (cursor.value.entity !== "settings") records.push(cursor.value);
          cursor = await cursor.continue();
        }
      }
      // The rest after a task, in chunks: the first screen renders before the big read, and
      // no single answer's deserializing blocks the thread for long.
      const rest = new Promise((r) => setTimeout(r, 0)).then(() => readAll());
      return { meta, records, outbox, rest };
    },
    meta: readMeta,
    readOutbox: () => db.getAll("outbox"),
    async commit(puts, deletes, cursor) {
      // A snapshot page is thousands of puts: plain requests in one transaction, awaited once.
      const tx = unwrap(db).transaction(["records", "meta"], "readwrite");
      const rs = tx.objectStore("records");
      for (const r of puts) rs.put(r);
      for (const k of deletes) rs.delete(k);
      if (cursor !== undefined) tx.objectStore("meta").put(cursor, "cursor");
      await finished(tx);
    },
    async replaceRecords(records, cursor) {
      const tx = db.transaction(["records", "meta"], "readwrite");
      const rs = tx.objectStore("records");
      void rs.clear();
      for (const r of records) void rs.put(r);
      void tx.objectStore("meta").put(cursor, "cursor");
      await tx.done;
    },
    async addOutbox(entry) {
      const copy = { ...entry };
      delete copy.seq;
      return db.add("outbox", copy);
    },
    async updateOutbox(entry) {
      const tx = db.transaction("outbox", "readwrite");
      if (entry.seq !== undefined && (await tx.store.get(entry.seq))) await tx.store.put(entry);
      await tx.done;
    },
    removeOutbox: (seq) => db.delete("outbox", seq),
    setMeta,
    clear,
    close: () => db.close(),
  };
}
