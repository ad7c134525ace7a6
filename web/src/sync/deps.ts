// Everything the sync client touches in the outside world, in one object, so
// tests can drive it with fake fetch/WebSocket/IndexedDB/clock/events.
import type { FetchFn } from "../api/http.ts";
import { CACHE_DB_NAME, memoryCache, type SyncCache } from "./db.ts";
import { FEED_START } from "./feed.ts";
import { SIGNED_IN_COOKIE } from "@protocol/rules.ts";

/** The part of WebSocket the transport uses. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "close" | "error", listener: () => void): void;
  addEventListener(type: "message", listener: (ev: { data: unknown }) => void): void;
}

export interface DeviceTraits {
  coarse: boolean;
  narrow: boolean;
  saveData: boolean;
}

/** "policy" fires when DeviceTraits may have changed (resize, pointer, Save-Data). */
export type EnvEvent = "online" | "offline" | "focus" | "visible" | "hidden" | "policy";

export type TimerHandle = unknown;

export interface SyncDeps {
  fetch: FetchFn;
  openSocket(path: string): SocketLike;
  openCache(): Promise<SyncCache>;
  now(): number;
  random(): number;
  uuid(): string;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  isOnline(): boolean;
  isVisible(): boolean;
  device(): DeviceTraits;
  on(event: EnvEvent, fn: () => void): () => void;
  /** Serializes outbox draining across tabs when available. */
  withLock?<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * On a device that never synced, starts its first pull (the feed from the
   * start; it needs only the session cookie) now, beside /api/auth/me rather
   * than after it; the store's first `fetch` of that page takes the answer.
   */
  prefetchFeedStart?(): Promise<boolean>;
}

/** crypto.randomUUID needs a secure context; phones on a LAN IP over http don't have one. */
export function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface NetworkInformationLike extends EventTarget {
  saveData?: boolean;
}

export function browserDeps(): SyncDeps {
  const coarse = matchMedia("(pointer: coarse)");
  const narrow = matchMedia("(max-width: 640px)");
  const connection = (navigator as Navigator & { connection?: NetworkInformationLike }).connection;
  // idb and the IndexedDB cache are a chunk of their own (not in the initial
  // bundle): start fetching it now, while the app asks who is signed in.
  const idbCache = import("./idb-cache.ts");
  // An unused failure (e.g. offline with nothing cached) must not surface as unhandled.
  idbCache.catch(() => undefined);

  let feedStart: Promise<Response> | undefined;
  let fetched = false;

  return {
    fetch: (input, init) => {
      const early = input === FEED_START && (init?.method ?? "GET") === "GET" ? feedStart : undefined;
      // Only the store's first request may take it (a later full reload must ask afresh).
      fetched = true;
      feedStart = undefined;
      // Only a good answer is taken: asked before sign-in (a 401) or failed, the page is asked again.
      const fresh = () => globalThis.fetch(input, init);
      return early ? early.then((res) => (res.ok ? res : fresh()), fresh) : fresh();
    },
    /** Resolves true when this device has a cache database (then nothing is prefetched). */
    async prefetchFeedStart() {
      // No cache database yet = a new device (where `databases()` is missing, nothing is started).
      const dbs = await indexedDB?.databases?.().catch(() => undefined);
      if (!dbs) return true; // unknown: look in the cache
      if (dbs.some((d) => d.name === CACHE_DB_NAME)) return true;
      // Only with a session to ask for: the readable marker set and cleared with the HttpOnly
      // session cookie. Signed out, asking would only earn a 401 the browser logs.
      const signedIn = document.cookie.split("; ").includes(`${SIGNED_IN_COOKIE}=1`);
      if (!fetched && signedIn) {
        feedStart = globalThis.fetch(FEED_START, { headers: { Accept: "application/json" } });
        feedStart.catch(() => undefined); // the pull that takes it reports failures
        import("./bootstrap.ts").catch(() => undefined); // the code that will read it
      }
      return false;
    },
    openSocket(path) {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      return new WebSocket(`${proto}//${location.host}${path}`) as unknown as SocketLike;
    },
    async openCache() {
      try {
        const { openIdbCache } = await idbCache;
        return await openIdbCache();
      } catch {
        // Private modes and broken profiles can refuse IndexedDB (and a chunk
        // that failed to load leaves us without it): keep working, just not offline.
        return memoryCache();
      }
    },
    now: () => Date.now(),
    random: () => Math.random(),
    uuid,
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as number),
    isOnline: () => navigator.onLine !== false,
    isVisible: () => document.visibilityState !== "hidden",
    device: () => ({ coarse: coarse.matches, narrow: narrow.matches, saveData: connection?.saveData === true }),
    on(event, fn) {
      const offs: Array<() => void> = [];
      const add = (t: EventTarget, name: string, h: () => void) => {
        t.addEventListener(name, h);
        offs.push(() => t.removeEventListener(name, h));
      };
      if (event === "online" || event === "offline" || event === "focus") add(window, event, fn);
      else if (event === "visible" || event === "hidden") {
        add(document, "visibilitychange", () => {
          if ((document.visibilityState !== "hidden") === (event === "visible")) fn();
        });
      } else {
        add(coarse, "change", fn);
        add(narrow, "change", fn);
        if (connection) add(connection, "change", fn);
      }
      return () => offs.forEach((off) => off());
    },
    withLock: navigator.locks
      ? <T>(name: string, fn: () => Promise<T>) => navigator.locks.request(name, fn) as Promise<T>
      : undefined,
  };
}
