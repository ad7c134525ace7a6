/**
 * The soak's device: a protocol client for SPEC §3/§4 written from the SPEC,
 * deliberately independent of the web app's sync client (web/src/sync), so
 * the soak checks the server against the contract rather than against the
 * client it ships with — a bug shared by both would otherwise go unseen.
 *
 * It keeps an outbox replayed in order with one Idempotency-Key per mutation
 * and If-Match versions, holds a WebSocket (or polls, like a phone) and pulls
 * by cursor to close gaps; faults (socket drops, offline periods, lost
 * responses, duplicate retries) are injected here on the seeded schedule.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import WebSocket from "ws";
import { makeAgent, send, type Req, type Res } from "./lib.ts";
import { EXPECTED_CODES, SERVER_CREATED } from "./soak-market.ts";
import {
  acks,
  between,
  chance,
  counts,
  DEVICES,
  phase,
  rand,
  settleTimes,
  violate,
  vlog,
  world,
  type Change,
  type Mutation,
  saw500,
  type UserCtx,
  type Wire,
} from "./soak-world.ts";
import { sleep } from "./stack.ts";

/** An undo or restore racing other devices' edits may find the record changed or its change already gone. */
const UNDO_REFUSALS = new Set(["version_conflict", "nothing_to_undo", "restore_blocked"]);

export class Device {
  readonly u: UserCtx<Device>;
  readonly idx: number;
  readonly name: string;
  readonly poller: boolean;
  readonly agent: http.Agent;
  online = true;
  alive = true; // loops run while true
  cursor = 0;
  view = new Map<string, Wire>(); // "entity:id" → record
  outbox: Mutation[] = [];
  ws: WebSocket | null = null;
  wsBackoff = 250;
  pulling: Promise<void> | null = null;
  pullAgain = false;
  nonce = 0;

  constructor(u: UserCtx<Device>, idx: number) {
    this.u = u;
    this.idx = idx;
    this.name = `u${u.idx}d${idx}`;
    this.poller = idx === DEVICES - 1;
    this.agent = makeAgent(4);
  }

  auth(): Record<string, string> {
    return { authorization: `Bearer ${this.u.user.token}`, "x-client-id": this.name };
  }

  async http(req: Req): Promise<Res> {
    const res = await send(world.stack.baseUrl, this.agent, req, 10_000);
    if (res.status === 500) saw500(`${req.method} ${req.path}`, res.text);
    return res;
  }

  // -- applying the feed --------------------------------------------------------
  apply(changes: Change[], source: string): void {
    for (const ch of changes) {
      const c = Number(ch.cursor);
      if (c <= this.cursor) continue; // already applied (own echo, overlap with a pull)
      if (c !== this.cursor + 1) violate(`${this.name}: cursor jump ${this.cursor} → ${c} via ${source}`);
      if (!this.u.ids.has(ch.id) && ch.id !== this.u.settingsId && !SERVER_CREATED.has(ch.entity))
        violate(`${this.name}: foreign record ${ch.entity}:${ch.id} via ${source} (cross-user leakage?)`);
      const key = `${ch.entity}:${ch.id}`;
      if (ch.op === "upsert" && ch.data) this.view.set(key, ch.data);
      else this.view.delete(key);
      this.cursor = c;
    }
  }

  onSocketMessage(raw: string): void {
    counts.socketMessages++;
    const m = JSON.parse(raw) as { type: string; cursor?: string; prev?: string; changes?: Change[] };
    if (m.type === "hello") {
      if (Number(m.cursor) !== this.cursor) this.requestPull();
    } else if (m.type === "changes") {
      if (Number(m.prev) === this.cursor) this.apply(m.changes ?? [], "socket");
      else if (Number(m.cursor) > this.cursor) {
        counts.socketGaps++;
        this.requestPull(); // a gap: close it by cursor
      }
    }
  }

  requestPull(): void {
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = (async () => {
      try {
        do {
          this.pullAgain = false;
          await this.pullOnce();
        } while (this.pullAgain && this.alive);
      } finally {
        this.pulling = null;
      }
    })();
  }

  /** Pull by cursor until has_more is false. Failures leave the cursor as is (the next pull retries). */
  async pullOnce(): Promise<boolean> {
    if (!this.online) return false;
    for (let page = 0; page < 1000; page++) {
      counts.pulls++;
      const since = this.cursor;
      const res = await this.http({
        method: "GET",
        path: `/api/sync/changes?since=${since}&limit=200`,
        headers: { ...this.auth(), "if-none-match": `"${since}"` },
      }).catch(() => null);
      if (!res) return false;
      if (res.status === 304) {
        counts.polls304++;
        return true;
      }
      if (res.status === 410) {
        counts.cursorExpired++;
        this.view.clear();
        this.cursor = 0;
        continue;
      }
      if (res.status !== 200) return false;
      const body = res.json() as { changes: Change[]; cursor: string; has_more: boolean };
      this.apply(body.changes, "pull");
      if (!body.has_more) {
        const c = Number(body.cursor);
        // The reported cursor may only run ahead of the last entry when tombstones were pruned (never in a soak).
        if (c > this.cursor) violate(`${this.name}: feed reports cursor ${c} but its last entry is ${this.cursor}`);
        this.cursor = Math.max(this.cursor, c);
        return true;
      }
    }
    return true;
  }

  // -- socket ---------------------------------------------------------------------
  connect(): void {
    if (this.poller || !this.online || !this.alive || this.ws) return;
    const ws = new WebSocket(world.stack.baseUrl.replace(/^http/, "ws") + "/api/sync/ws", { headers: this.auth() });
    this.ws = ws;
    let opened = false;
    ws.on("open", () => {
      opened = true;
      this.wsBackoff = 250;
    });
    ws.on("message", (d) => this.onSocketMessage(String(d)));
    ws.on("unexpected-response", (_req, res) => {
      if (res.statusCode === 500) saw500(`${this.name}: socket upgrade`, "");
      res.resume();
      ws.terminate();
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      if (this.ws === ws) this.ws = null;
      if (!this.alive || !this.online) return;
      // Reconnect with backoff + jitter.
      const wait = opened ? between(50, 300) : this.wsBackoff * between(0.5, 1.5);
      if (!opened) this.wsBackoff = Math.min(4000, this.wsBackoff * 2);
      setTimeout(() => {
        if (this.alive && this.online && !this.ws) {
          counts.reconnects++;
          this.connect();
        }
      }, wait);
    });
  }

  drop(): void {
    counts.socketDrops++;
    vlog(`${this.name}: socket drop`);
    this.ws?.terminate();
  }

  async goOffline(ms: number): Promise<void> {
    counts.offlinePeriods++;
    vlog(`${this.name}: offline for ${ms.toFixed(0)} ms`);
    this.online = false;
    this.ws?.terminate();
    this.ws = null;
    await sleep(ms);
    this.online = true;
    this.connect();
    this.requestPull(); // SPEC §4: pull on `online`
  }

  // -- mutations --------------------------------------------------------------------
  inboxItems(): Wire[] {
    return [...this.view.entries()].filter(([k]) => k.startsWith("inbox_item:")).map(([, v]) => v);
  }

  enqueue(kind: Mutation["kind"], req: Req, recordId?: string): void {
    counts.mutations++;
    const key = randomUUID();
    req.headers = { ...this.auth(), ...req.headers, "idempotency-key": key };
    this.outbox.push({ key, kind, req, recordId, attempts: 0, enqueuedAt: Date.now() });
  }

  /** Sends the outbox head, in order; returns when the outbox is empty or the device stops. */
  async outboxLoop(): Promise<void> {
    let backoff = 200;
    while (this.alive) {
      const m = this.outbox[0];
      if (!m || !this.online) {
        await sleep(50);
        continue;
      }
      const outcome = await this.attempt(m);
      if (outcome === "done") {
        this.outbox.shift();
        settleTimes.push(Date.now() - m.enqueuedAt);
        backoff = 200;
      } else {
        counts.retries++;
        await sleep(backoff * between(0.5, 1.5));
        backoff = Math.min(3000, backoff * 2);
      }
    }
  }

  async attempt(m: Mutation): Promise<"done" | "retry"> {
    m.attempts++;
    // Fault: occasionally two copies of the same request at once.
    if (m.attempts === 1 && chance(0.03)) return this.concurrentDuplicate(m);
    let res: Res;
    try {
      res = await this.http(m.req);
    } catch {
      counts.networkErrors++;
      return "retry";
    }
    // Fault: the response is "lost" on the way back; the client must retry with the same key.
    if (!m.lost && res.status < 500 && res.status !== 409 && chance(0.05)) {
      counts.lostResponses++;
      m.lost = res;
      vlog(`${this.name}: lost response ${res.status} for ${m.kind}`);
      return "retry";
    }
    return this.settle(m, res);
  }

  settle(m: Mutation, res: Res): "done" | "retry" {
    if (res.status === 503) {
      counts.s503++;
      return "retry";
    }
    if (res.status >= 500 || res.status === 429) return "retry";
    let code = "";
    try {
      code = res.status >= 400 ? String(res.json().error?.code ?? "") : "";
    } catch {
      // not JSON
    }
    if (res.status === 409 && code === "idempotency_in_progress") {
      counts.inProgress409++;
      return "retry";
    }
    if (m.lost) {
      // This is the retry of a lost response: it must be the exact replay.
      counts.replaysVerified++;
      if (res.headers["idempotent-replayed"] !== "true" || res.status !== m.lost.status || res.text !== m.lost.text)
        violate(
          `${this.name}: replay after lost response differs (${m.lost.status} → ${res.status}, replayed=${res.headers["idempotent-replayed"]})`,
        );
    }
    if (res.status >= 200 && res.status < 300) {
      this.recordAck(m, res);
      // Fault: a deliberate duplicate retry of an acknowledged request.
      if (chance(0.1)) void this.duplicateRetry(m, res);
      return "done";
    }
    // A 4xx the server rejected: dropped from the outbox (the user is told).
    counts.rejected4xx++;
    if (code === "version_conflict") counts.conflicts++;
    else if (code === "not_found") counts.notFound++;
    else if (code === "id_conflict") counts.idConflicts++;
    else if (m.kind === "market" && EXPECTED_CODES.has(code)) counts.marketRefusals++;
    else if ((m.kind === "undo" || m.kind === "restore") && UNDO_REFUSALS.has(code)) counts.undoRefusals++;
    else
      violate(
        `${this.name}: unexpected ${res.status} ${code} for ${m.kind} ${m.req.method} ${m.req.path}: ${res.text.slice(0, 200)}`,
      );
    return "done";
  }

  recordAck(m: Mutation, res: Res): void {
    counts.acknowledged++;
    // Market writes touch several records (checked by the ledger invariants at the end).
    if (m.kind === "market") return;
    if (m.kind === "undo" || m.kind === "restore") return this.recordUndoAck(m, res);
    const cursor = res.headers["x-sync-cursor"] as string | undefined;
    let id = m.recordId ?? "";
    let version: number | undefined;
    if (res.status !== 204) {
      const body = res.json() as Wire;
      id = body.id;
      version = body.version;
      if (m.kind === "settings") this.u.settingsId ??= body.id;
    }
    acks.push({ user: this.u.idx, kind: m.kind, id, status: res.status, cursor, version });
  }

  /**
   * An undo or restore: the record it left (null: the undo deleted it) must be in the feed at the
   * answer's cursor, like any acknowledged write; one that wrote nothing (already undone or restored)
   * names a record the feed must hold.
   */
  recordUndoAck(m: Mutation, res: Res): void {
    const body = res.json() as { id?: string; record: Wire | null; changed?: boolean; restored?: boolean };
    counts[m.kind === "undo" ? "undos" : "restores"]++;
    const wrote = body.changed ?? body.restored ?? false;
    const id = body.id ?? body.record?.id ?? m.recordId ?? "";
    const cursor = wrote ? (res.headers["x-sync-cursor"] as string | undefined) : undefined;
    const kind = body.record ? "update" : "delete";
    acks.push({ user: this.u.idx, kind, id, status: res.status, cursor, version: body.record?.version });
  }

  async duplicateRetry(m: Mutation, first: Res): Promise<void> {
    for (let i = 0; i < 20 && this.alive; i++) {
      const res = await this.http(m.req).catch(() => null);
      if (!res || res.status >= 500 || (res.status === 409 && res.text.includes("idempotency_in_progress"))) {
        await sleep(300);
        continue;
      }
      counts.duplicateRetries++;
      if (res.headers["idempotent-replayed"] !== "true" || res.status !== first.status || res.text !== first.text)
        violate(`${this.name}: duplicate retry of ${m.kind} not an exact replay (${first.status} → ${res.status})`);
      return;
    }
  }

  async concurrentDuplicate(m: Mutation): Promise<"done" | "retry"> {
    counts.concurrentDuplicates++;
    const [a, b] = await Promise.all([this.http(m.req).catch(() => null), this.http(m.req).catch(() => null)]);
    const executed = [a, b].filter((r) => r && r.status < 300 && r.headers["idempotent-replayed"] !== "true");
    if (executed.length > 1)
      violate(`${this.name}: one Idempotency-Key executed twice (concurrent duplicate ${m.kind})`);
    // Settle on a definitive answer if there is one; otherwise retry (same key).
    const final = [a, b].find(
      (r) => r && r.status < 500 && !(r.status === 409 && r.text.includes("idempotency_in_progress")),
    );
    if (!final) {
      if (a?.status === 503 || b?.status === 503) counts.s503++;
      return "retry";
    }
    return this.settle(m, final);
  }

  // -- the device's life ------------------------------------------------------------
  /** `act` makes one random edit (soak-actions.ts), handed in so the actions may use this class. */
  async actLoop(act: (d: Device) => void): Promise<void> {
    while (phase.running) {
      await sleep(between(250, 900));
      if (!phase.running) break;
      const r = rand();
      // A person edits at human speed: no new edits while the device is
      // visibly behind (keeps a long soak's queues bounded near capacity).
      if (r < 0.85) {
        if (this.outbox.length < (this.online ? 4 : 20)) act(this);
      } else if (r < 0.93 && this.ws) this.drop();
      else if (r < 0.96 && this.online) void this.goOffline(between(800, 3500)); // keeps acting: mutations queue up
    }
  }

  /** Phones poll; desktops pull as a safety net (scaled down from SPEC's 60 s). */
  async pollLoop(): Promise<void> {
    while (this.alive) {
      await sleep(this.poller ? between(700, 1500) : between(2500, 4000));
      if (this.online) this.requestPull();
    }
  }
}
