// Pending mutations, replayed strictly in order. Each keeps its
// Idempotency-Key across retries, so a retry after a lost response can't
// apply twice. A refusal (4xx) drops the entry so it never blocks the ones
// behind it; an outage (network, 5xx, 429) keeps it and backs off.
import { ErrorCode } from "@protocol/rules.ts";
import { httpError, NetworkError, send, type HttpError, type HttpResult } from "../api/http.ts";
import type { EntityMap, EntityName } from "../api/types.ts";
import type { Data, Optimistic, OutboxEntry, SyncCache } from "./db.ts";
import type { SyncDeps, TimerHandle } from "./deps.ts";
import { backoffMs } from "./transport.ts";

/**
 * One write, typed by entity: `entity` must be a synced type and the
 * optimistic record must be that type's wire record (EntityMap[E]).
 */
export interface Mutation<E extends EntityName = EntityName> {
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  entity: E;
  /** Record id (client-generated for creates). */
  id: string;
  /** The record (or deletion) to show until the server confirms; null for none. */
  optimistic?: { op: "upsert"; data: EntityMap[E] } | { op: "delete" } | null;
  /** Sent as If-Match; omit for last-write-wins. */
  ifMatch?: number;
  /** Human description used in notices. */
  label?: string;
  /** Deterministic key when several devices may send the same action. */
  key?: string;
  /** An undo: the key of the write it undoes. Refused, that write takes this one with it (unsent). */
  after?: string;
}

export interface OutboxHooks {
  /**
   * The server accepted the entry (state is now "committed", with
   * sync_cursor/server filled in). Return true to keep its overlay until the
   * feed reaches sync_cursor, false to retire it now.
   */
  committed(entry: OutboxEntry): Promise<boolean>;
  /** The server refused the entry; it has been removed already. */
  rejected(entry: OutboxEntry, err: HttpError): Promise<void>;
  /** A send got an answer (true) or never reached the server (false). */
  reached(ok: boolean): void;
  unauthorized(): void;
  /** The list of entries changed (pending count, overlays). */
  changed(entities: string[]): void;
}

const LOCK = "continuum-outbox";

function retryable(err: HttpError): boolean {
  return (
    err.status >= 500 || err.status === 429 || err.status === 408 || err.code === ErrorCode.idempotency_in_progress
  );
}

function isRecord(v: unknown): v is Data {
  return (
    typeof v === "object" && v !== null && typeof (v as Data).id === "string" && typeof (v as Data).version === "number"
  );
}

export class Outbox {
  private entries: OutboxEntry[] = [];
  private draining = false;
  private again = false;
  private stopped = false;
  private paused = false;
  private attempt = 0;
  private retryTimer: TimerHandle | undefined;
  /** Keys the server refused (this session): an entry queued `after` one of them is dropped unsent. */
  private refused = new Set<string>();

  constructor(
    private readonly deps: SyncDeps,
    private readonly cache: SyncCache,
    private readonly clientId: string,
    private readonly hooks: OutboxHooks,
  ) {}

  load(entries: OutboxEntry[]): void {
    this.entries = [...entries].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  }

  list(): readonly OutboxEntry[] {
    return this.entries;
  }

  pendingCount(): number {
    return this.entries.reduce((n, e) => n + (e.state === "pending" ? 1 : 0), 0);
  }

  /** Shows the optimistic state at once, persists, then sends. */
  async enqueue<E extends EntityName>(m: Mutation<E>): Promise<OutboxEntry> {
    const entry: OutboxEntry = {
      key: m.key ?? this.deps.uuid(),
      method: m.method,
      path: m.path,
      body: m.body,
      if_match: m.ifMatch,
      entity: m.entity,
      id: m.id,
      optimistic: (m.optimistic ?? null) as Optimistic | null,
      label: m.label ?? "Change",
      created_at: this.deps.now(),
      attempts: 0,
      state: "pending",
      after: m.after,
    };
    this.entries.push(entry);
    this.hooks.changed([entry.entity]);
    entry.seq = await this.cache.addOutbox(entry);
    // Join the queue; don't cut short a backoff wait (a 429/503's Retry-After).
    if (this.retryTimer === undefined) this.kick();
    return entry;
  }

  /** Drop committed entries the feed has caught up with. */
  async retire(isReached: (cursor: string) => boolean): Promise<void> {
    const done = this.entries.filter((e) => e.state === "committed" && (!e.sync_cursor || isReached(e.sync_cursor)));
    if (!done.length) return;
    this.entries = this.entries.filter((e) => !done.includes(e));
    this.hooks.changed([...new Set(done.map((e) => e.entity))]);
    await Promise.all(done.map((e) => (e.seq !== undefined ? this.cache.removeOutbox(e.seq) : undefined)));
  }

  /** Send now, cancelling any backoff wait (reconnected, user retried, resumed after sign-in). */
  kick(): void {
    if (this.stopped) return;
    this.paused = false;
    if (this.retryTimer !== undefined) {
      this.deps.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.attempt = 0;
    }
    void this.drain();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.deps.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        const run = () => this.drainOnce();
        await (this.deps.withLock ? this.deps.withLock(LOCK, run) : run());
      } while (this.again && !this.stopped && !this.paused && this.retryTimer === undefined);
    } finally {
      this.draining = false;
    }
  }

  private async drainOnce(): Promise<void> {
    while (!this.stopped && !this.paused && this.retryTimer === undefined && this.deps.isOnline()) {
      await this.refresh();
      const next = this.entries.find((e) => e.state === "pending" && e.seq !== undefined);
      if (!next) return;
      // An undo of a refused write would undo whatever stands at that version now: someone else's change.
      if (next.after && this.refused.has(next.after)) {
        this.refused.add(next.key);
        await this.remove(next);
        this.hooks.changed([next.entity]);
      } else if (!(await this.sendOne(next))) return;
    }
  }

  /** Re-read the stored queue: another tab may have sent or added entries. */
  private async refresh(): Promise<void> {
    const stored = await this.cache.readOutbox();
    const maxSeq = stored.reduce((m, e) => Math.max(m, e.seq ?? 0), 0);
    const local = this.entries.filter((e) => e.seq === undefined || e.seq > maxSeq);
    const before = this.entries;
    this.entries = [...stored.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)), ...local];
    if (
      before.length !== this.entries.length ||
      before.some((e, i) => e.seq !== this.entries[i]?.seq || e.state !== this.entries[i]?.state)
    ) {
      this.hooks.changed([...new Set([...before, ...this.entries].map((e) => e.entity))]);
    }
  }

  /** Returns true to continue with the next entry. */
  private async sendOne(entry: OutboxEntry): Promise<boolean> {
    let res: HttpResult;
    try {
      res = await send(this.deps.fetch, entry.path, {
        method: entry.method,
        body: entry.body,
        headers: {
          "Idempotency-Key": entry.key,
          "X-Client-Id": this.clientId,
          "If-Match": entry.if_match !== undefined ? `"${entry.if_match}"` : undefined,
        },
      });
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      this.hooks.reached(false);
      await this.retryLater(entry, null);
      return false;
    }
    this.hooks.reached(true);

    if (res.ok) {
      this.attempt = 0;
      entry.state = "committed";
      entry.sync_cursor = res.headers.get("x-sync-cursor") ?? undefined;
      entry.server = isRecord(res.body) ? res.body : null;
      const keep = await this.hooks.committed(entry);
      if (keep) await this.cache.updateOutbox(entry);
      else await this.remove(entry);
      this.hooks.changed([entry.entity]);
      return true;
    }
    if (res.status === 401) {
      // Signed out elsewhere: keep everything for when the same user signs back in.
      this.paused = true;
      this.hooks.unauthorized();
      return false;
    }
    const err = httpError(res);
    if (retryable(err)) {
      await this.retryLater(entry, err.retryAfterMs);
      return false;
    }
    this.refused.add(entry.key);
    await this.remove(entry);
    this.hooks.changed([entry.entity]);
    await this.hooks.rejected(entry, err);
    return true;
  }

  private async remove(entry: OutboxEntry): Promise<void> {
    this.entries = this.entries.filter((e) => e !== entry && (entry.seq === undefined || e.seq !== entry.seq));
    if (entry.seq !== undefined) await this.cache.removeOutbox(entry.seq);
  }

  private async retryLater(entry: OutboxEntry, retryAfter: number | null): Promise<void> {
    entry.attempts += 1;
    await this.cache.updateOutbox(entry);
    const delay = Math.max(retryAfter ?? 0, backoffMs(this.attempt++, this.deps.random));
    this.retryTimer = this.deps.setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delay);
  }
}
