// The offline cache in IndexedDB (one database via idb). deps.ts loads this
// module on demand, so idb stays out of the initial bundle; the interface and
// the in-memory twin are in ./db.ts.
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
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
      let cursor = await tx.store.index("recent").openCursor(null, "prev");
      for (let n = 0; cursor && n < opts.newest; n++) {
        if (cursor.value.entity !== "settings") records.push(cursor.value);
        cursor = await cursor.continue();
      }
      // The rest after a task: the first screen renders before a big read's deserializing blocks the thread.
      const rest = new Promise((r) => setTimeout(r, 0)).then(() => db.getAll("records"));
      return { meta, records, outbox, rest };
    },
    meta: readMeta,
    readOutbox: () => db.getAll("outbox"),
    async commit(puts, deletes, cursor) {
      const tx = db.transaction(["records", "meta"], "readwrite");
      const rs = tx.objectStore("records");
      for (const r of puts) void rs.put(r);
      for (const k of deletes) void rs.delete(k);
      if (cursor !== undefined) void tx.objectStore("meta").put(cursor, "cursor");
      await tx.done;
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
