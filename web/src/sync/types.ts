// The sync client's public face, as views and tests program against it
// (implemented by ./store.ts). Framework-free: ui/sync-context.ts wraps the
// callbacks in Solid signals and stores.
import type { EntityMap, EntityName, User } from "../api/types.ts";
import type { Mutation } from "./outbox.ts";
import type { LinkMode } from "./transport.ts";

export interface SyncStatus {
  mode: LinkMode;
  poll_interval_s: number;
  /** Mutations not yet accepted by the server. */
  pending: number;
}

export interface Notice {
  id: string;
  kind: "conflict" | "rejected" | "info";
  message: string;
  at: number;
  /**
   * A conflict: the edit that lost, kept so the user can take it back
   * (restore-mine.ts) — the request as it was sent, and what it changed, for display.
   */
  mine?: { entity: EntityName; id: string; method: string; path: string; body: unknown; label: string };
}

export interface SyncStore {
  /** Opens the cache for this user (clearing another user's) and starts syncing. */
  start(user: User): Promise<void>;
  /** Stops network activity; the cache stays for next time. */
  stop(): void;
  /** Sign-out: stop and wipe the cache and outbox. */
  clear(): Promise<void>;
  records<E extends EntityName>(entity: E): readonly EntityMap[E][];
  get<E extends EntityName>(entity: E, id: string): EntityMap[E] | undefined;
  mutate<E extends EntityName>(m: Mutation<E>): Promise<void>;
  status(): SyncStatus;
  /** Every record has been loaded once (the device holds a cursor); false while a new device loads. */
  loaded(): boolean;
  notices(): readonly Notice[];
  dismiss(id: string): void;
  /** Ask for fresh data now (e.g. a "refresh" button); resolves when that pull is done (or joined one in flight). */
  pullNow(): Promise<void>;
  /** Best estimate of the server's clock, in ms since epoch. */
  serverNow(): number;
  onRecords(entity: EntityName, fn: () => void): () => void;
  onStatus(fn: () => void): () => void;
  onNotices(fn: () => void): () => void;
  /** The session is gone (revoked or expired). */
  onUnauthorized(fn: () => void): () => void;
}
