// How changes reach this device (SPEC §4): desktops hold the WebSocket;
// phones poll. The pull by cursor is the truth — socket messages are only the
// fast path — so every path ends in hooks.pull(), and the socket is watched
// with a heartbeat because it can die silently. Whether the server answers is
// reported (hooks.reached), not kept: the store owns reachability.
import { SETTINGS_DEFAULTS } from "@protocol/rules.ts";
import { NetworkError } from "../api/http.ts";
import type { ServerMessage, SyncMode, SyncPrefs } from "../api/types.ts";
import type { DeviceTraits, SocketLike, SyncDeps, TimerHandle } from "./deps.ts";

export const HEARTBEAT_MS = 25_000;
export const PONG_TIMEOUT_MS = 10_000;
export const CONNECT_TIMEOUT_MS = 10_000;
export const SAFETY_PULL_MS = 60_000;
export const POLL_BACKOFF_STEP = 1.5;
export const POLL_BACKOFF_MAX = 4;
export const RECONNECT_BASE_MS = 1_000;
export const RECONNECT_MAX_MS = 60_000;
export const DEFAULT_PREFS: SyncPrefs = SETTINGS_DEFAULTS.sync;

export type Policy = "socket" | "poll";
export type LinkMode = "live" | "polling" | "offline";

/** Phones (coarse pointer, small screen, or Save-Data) poll; settings can force either. */
export function choosePolicy(mode: SyncMode, d: DeviceTraits): Policy {
  if (mode === "socket" || mode === "poll") return mode;
  return d.coarse || d.narrow || d.saveData ? "poll" : "socket";
}

/**
 * What the connection indicator says. Reachability is the store's (both the
 * outbox and the transport report to it); `live` is an open socket.
 */
export function linkMode(s: { online: boolean; reachable: boolean; live: boolean }): LinkMode {
  if (!s.online || !s.reachable) return "offline";
  return s.live ? "live" : "polling";
}

/** Exponential backoff with "equal jitter" so many clients don't reconnect in lockstep. */
export function backoffMs(
  attempt: number,
  random: () => number,
  base = RECONNECT_BASE_MS,
  max = RECONNECT_MAX_MS,
): number {
  const d = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return d / 2 + random() * (d / 2);
}

export interface TransportHooks {
  /** Pull the change feed; true if anything changed. Throws NetworkError when unreachable. */
  pull(): Promise<boolean>;
  message(msg: ServerMessage): void;
  /** Something shown in the status changed (socket up or down, policy, online). */
  state(): void;
  /** A pull or socket reached the server (true), or a pull couldn't (false). */
  reached(ok: boolean): void;
}

type TimerName = "pull" | "reconnect" | "heartbeat" | "pong" | "connect";

export class Transport {
  private prefs: SyncPrefs = DEFAULT_PREFS;
  private policy: Policy = "poll";
  private running = false;
  private offs: Array<() => void> = [];
  private ws: SocketLike | null = null;
  private wsOpen = false;
  private reconnectAttempt = 0;
  private pollFactor = 1;
  private pulling = false;
  private pullAgain = false;
  private timers: Partial<Record<TimerName, TimerHandle>> = {};

  constructor(
    private readonly deps: SyncDeps,
    private readonly hooks: TransportHooks,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const on = this.deps.on.bind(this.deps);
    this.offs = [
      on("online", () => {
        this.pollFactor = 1;
        this.reconnectAttempt = 0;
        this.hooks.state();
        this.connectSoon();
        void this.pullNow();
      }),
      on("offline", () => {
        this.clear("pull");
        this.hooks.state();
      }),
      on("focus", () => void this.pullNow()),
      on("visible", () => {
        this.connectSoon();
        void this.pullNow();
      }),
      on("hidden", () => this.clear("pull")),
      on("policy", () => this.evaluate()),
    ];
    this.evaluate();
    void this.pullNow();
  }

  stop(): void {
    this.running = false;
    this.offs.forEach((off) => off());
    this.offs = [];
    this.closeSocket();
    for (const name of Object.keys(this.timers) as TimerName[]) this.clear(name);
  }

  configure(prefs: SyncPrefs): void {
    if (prefs.mode === this.prefs.mode && prefs.poll_interval_s === this.prefs.poll_interval_s) return;
    this.prefs = { ...prefs };
    this.evaluate();
  }

  /** The user did something: poll at the base rate again. */
  nudge(): void {
    if (this.pollFactor === 1) return;
    this.pollFactor = 1;
    this.scheduleNext();
  }

  /** The socket is open: changes arrive as they happen. */
  live(): boolean {
    return this.wsOpen;
  }

  pollIntervalS(): number {
    return this.prefs.poll_interval_s;
  }

  currentPolicy(): Policy {
    return this.policy;
  }

  /** Pull now (focus, online, visible, or on request) and reschedule. */
  async pullNow(): Promise<void> {
    if (!this.running) return;
    if (this.pulling) {
      // The pull in flight may predate whatever prompted this one: go again after it.
      this.pullAgain = true;
      return;
    }
    this.clear("pull");
    this.pulling = true;
    try {
      do {
        this.pullAgain = false;
        try {
          const changed = await this.hooks.pull();
          this.hooks.reached(true);
          this.pollFactor = changed ? 1 : Math.min(POLL_BACKOFF_MAX, this.pollFactor * POLL_BACKOFF_STEP);
        } catch (err) {
          if (err instanceof NetworkError) this.hooks.reached(false);
          this.pollFactor = Math.min(POLL_BACKOFF_MAX, this.pollFactor * POLL_BACKOFF_STEP);
          break;
        }
      } while (this.pullAgain && this.running);
    } finally {
      this.pulling = false;
      this.pullAgain = false;
    }
    this.scheduleNext();
  }

  private evaluate(): void {
    if (!this.running) return;
    this.policy = choosePolicy(this.prefs.mode, this.deps.device());
    if (this.policy === "socket") this.connect();
    else {
      this.closeSocket();
      this.clear("reconnect");
    }
    this.scheduleNext();
    this.hooks.state();
  }

  /**
   * One timer drives every scheduled pull: the 60 s safety net while the
   * socket is up, the poll interval (with idle backoff) otherwise. Nothing is
   * scheduled while hidden or offline; visible/online events pull at once.
   */
  private scheduleNext(): void {
    this.clear("pull");
    if (!this.running || !this.deps.isVisible() || !this.deps.isOnline()) return;
    const delay = this.wsOpen ? SAFETY_PULL_MS : this.prefs.poll_interval_s * 1000 * this.pollFactor;
    this.timers.pull = this.deps.setTimeout(() => void this.pullNow(), delay);
  }

  private connectSoon(): void {
    if (this.policy !== "socket" || this.ws) return;
    this.clear("reconnect");
    this.connect();
  }

  private connect(): void {
    if (!this.running || this.policy !== "socket" || this.ws || this.timers.reconnect !== undefined) return;
    if (!this.deps.isOnline()) return; // the "online" event reconnects
    let ws: SocketLike;
    try {
      ws = this.deps.openSocket("/api/sync/ws");
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.wsOpen = false;
    this.timers.connect = this.deps.setTimeout(() => this.socketFailed(ws), CONNECT_TIMEOUT_MS);
    // Events from a socket we've replaced or closed are ignored (this.ws !== ws).
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.clear("connect");
      this.wsOpen = true;
      this.reconnectAttempt = 0;
      this.hooks.reached(true);
      this.beat(ws);
      this.scheduleNext();
      this.hooks.state();
    });
    ws.addEventListener("message", (ev) => {
      if (this.ws !== ws) return;
      this.beat(ws);
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type !== "pong") this.hooks.message(msg);
    });
    ws.addEventListener("close", () => this.socketFailed(ws));
    ws.addEventListener("error", () => this.socketFailed(ws));
  }

  /** Any traffic proves the socket alive: restart the heartbeat countdown. */
  private beat(ws: SocketLike): void {
    this.clear("pong");
    this.clear("heartbeat");
    this.timers.heartbeat = this.deps.setTimeout(() => {
      try {
        ws.send(JSON.stringify({ type: "ping" }));
      } catch {
        this.socketFailed(ws);
        return;
      }
      this.timers.pong = this.deps.setTimeout(() => this.socketFailed(ws), PONG_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  private socketFailed(ws: SocketLike): void {
    if (ws !== this.ws) return;
    const wasOpen = this.wsOpen;
    this.closeSocket();
    this.hooks.state();
    if (!this.running || this.policy !== "socket") return;
    // Poll while the socket is down; catch up at once on what it may have missed.
    // A socket that never opened left the poll timer running: keep it rather than
    // restart it, or failing reconnects (every ≤ 60 s) would postpone polls forever.
    if (wasOpen) void this.pullNow();
    else if (this.timers.pull === undefined) this.scheduleNext();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.clear("reconnect");
    const delay = backoffMs(this.reconnectAttempt++, this.deps.random);
    this.timers.reconnect = this.deps.setTimeout(() => {
      delete this.timers.reconnect;
      this.connect();
    }, delay);
  }

  private closeSocket(): void {
    const ws = this.ws;
    this.ws = null;
    this.wsOpen = false;
    this.clear("connect");
    this.clear("heartbeat");
    this.clear("pong");
    if (!ws) return;
    try {
      ws.close(1000, "client closing");
    } catch {
      /* already closed */
    }
  }

  private clear(name: TimerName): void {
    const t = this.timers[name];
    if (t !== undefined) this.deps.clearTimeout(t);
    delete this.timers[name];
  }
}
