// The last good answer of a read-only API list (the market's catalog,
// recommendations, achievements), kept in IndexedDB per user, so a screen that
// shows server-derived data still has it offline — like the synced domains
// have their records. Only a NetworkError falls back to the copy; a server
// refusal is shown as it is. Sign-out deletes the whole database.
import { api, NetworkError } from "./http.ts";

const DB = "continuum-reads";
const STORE = "reads";

export interface CachedRead<T> {
  value: T;
  /** Set when the value is this device's copy because the server couldn't be reached. */
  savedAt: string | null;
}

async function open() {
  const { openDB } = await import("idb");
  return openDB(DB, 1, {
    upgrade(d) {
      if (!d.objectStoreNames.contains(STORE)) d.createObjectStore(STORE);
    },
  });
}

export async function cachedRead<T>(userId: string, path: string): Promise<CachedRead<T>> {
  const key = `${userId} ${path}`;
  try {
    const value = await api<T>(path);
    void open()
      .then((db) => db.put(STORE, { value, at: new Date().toISOString() }, key).finally(() => db.close()))
      .catch(() => undefined); // private mode or a full disk: just no offline copy
    return { value, savedAt: null };
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    const db = await open().catch(() => null);
    const hit = (await db?.get(STORE, key).catch(() => undefined)) as { value: T; at: string } | undefined;
    db?.close();
    if (!hit) throw err;
    return { value: hit.value, savedAt: hit.at };
  }
}

/** Sign-out: nothing of this account's reads stays on the device. */
export function clearCachedReads(): Promise<void> {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(DB);
    for (const event of ["success", "error", "blocked"]) req.addEventListener(event, () => resolve());
  });
}
