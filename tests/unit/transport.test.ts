// SPEC §4 client transport policy, driven through Transport with a stub pull.
import { describe, expect, test } from "vitest";
import { NetworkError } from "../../web/src/api/http.ts";
import type { ServerMessage } from "../../web/src/api/types.ts";
import {
  backoffMs,
  choosePolicy,
  HEARTBEAT_MS,
  linkMode,
  PONG_TIMEOUT_MS,
  SAFETY_PULL_MS,
  Transport,
} from "../../web/src/sync/transport.ts";
import { DESKTOP, harness, PHONE, type Harness } from "./harness.ts";

interface Rig extends Harness {
  transport: Transport;
  /** Times (ms since start) at which pull() was called. */
  pulls: number[];
  messages: ServerMessage[];
  /** What the next pulls return: true = something changed, "offline" = NetworkError. */
  results: Array<boolean | "offline">;
  /** What the transport reported about reaching the server, in order. */
  reached: boolean[];
  /** The indicator's mode, as the store derives it from those reports. */
  mode(): "live" | "polling" | "offline";
  start: number;
}

function rig(opts: { device?: typeof DESKTOP; mode?: "auto" | "socket" | "poll"; interval?: number } = {}): Rig {
  const h = harness({ device: opts.device ?? DESKTOP });
  h.server.acceptSockets = false; // tests open sockets by hand
  const r: Rig = {
    ...h,
    transport: undefined as unknown as Transport,
    pulls: [],
    messages: [],
    results: [],
    reached: [],
    mode: () => linkMode({ online: h.env.online, reachable: r.reached.at(-1) ?? true, live: r.transport.live() }),
    start: h.clock.now,
  };
  r.transport = new Transport(h.deps, {
    pull: async () => {
      r.pulls.push(h.clock.now - r.start);
      const res = r.results.shift() ?? false;
      if (res === "offline") throw new NetworkError("offline");
      return res;
    },
    message: (m) => r.messages.push(m),
    state: () => undefined,
    reached: (ok) => r.reached.push(ok),
  });
  r.transport.configure({ mode: opts.mode ?? "auto", poll_interval_s: opts.interval ?? 30 });
  return r;
}

/** Records when (ms since start) the transport opens a socket. */
function spyOnConnects(r: Rig): number[] {
  const at: number[] = [];
  const open = r.deps.openSocket;
  r.deps.openSocket = (path) => {
    at.push(r.clock.now - r.start);
    return open(path);
  };
  return at;
}

const sockets = (r: Rig) => r.server.sockets;
const lastSocket = (r: Rig) => r.server.sockets.at(-1)!;

describe("choosing a transport", () => {
  test.each([
    ["a desktop holds the socket", DESKTOP, "auto", "socket"],
    ["a coarse pointer polls", { ...DESKTOP, coarse: true }, "auto", "poll"],
    ["a narrow screen polls", { ...DESKTOP, narrow: true }, "auto", "poll"],
    ["Save-Data polls", { ...DESKTOP, saveData: true }, "auto", "poll"],
    ["settings can force the socket on a phone", PHONE, "socket", "socket"],
    ["settings can force polling on a desktop", DESKTOP, "poll", "poll"],
  ] as const)("%s", (_name, device, mode, policy) => {
    expect(choosePolicy(mode, device)).toBe(policy);
  });

  test("a desktop opens /api/sync/ws on start", async () => {
    const r = rig();
    r.transport.start();
    await r.clock.advance(0);
    expect(sockets(r).map((s) => s.path)).toEqual(["/api/sync/ws"]);
    expect(r.transport.currentPolicy()).toBe("socket");
  });

  test("a phone never opens a socket and polls", async () => {
    const r = rig({ device: PHONE });
    r.transport.start();
    await r.clock.advance(120_000);
    expect(sockets(r)).toHaveLength(0);
    expect(r.mode()).toBe("polling");
    expect(r.pulls.length).toBeGreaterThan(1);
  });

  test("forcing poll on a desktop closes the open socket", async () => {
    const r = rig();
    r.transport.start();
    lastSocket(r).open();
    expect(r.mode()).toBe("live");
    r.transport.configure({ mode: "poll", poll_interval_s: 30 });
    expect(lastSocket(r).closed).toBe(true);
    expect(r.mode()).toBe("polling");
  });

  test("forcing socket on a phone opens one", async () => {
    const r = rig({ device: PHONE });
    r.transport.start();
    expect(sockets(r)).toHaveLength(0);
    r.transport.configure({ mode: "socket", poll_interval_s: 30 });
    expect(sockets(r)).toHaveLength(1);
  });

  test("a device that turns narrow switches from socket to polling", async () => {
    const r = rig();
    r.transport.start();
    lastSocket(r).open();
    r.env.device = { ...DESKTOP, narrow: true };
    r.env.emit("policy");
    expect(lastSocket(r).closed).toBe(true);
    expect(r.transport.currentPolicy()).toBe("poll");
  });
});

describe("polling", () => {
  test("pulls once at start, then every poll_interval_s while changes keep arriving", async () => {
    const r = rig({ device: PHONE, interval: 30 });
    r.results = Array(10).fill(true);
    r.transport.start();
    await r.clock.advance(95_000);
    expect(r.pulls).toEqual([0, 30_000, 60_000, 90_000]);
  });

  test("the poll interval comes from the settings", async () => {
    const r = rig({ device: PHONE, interval: 10 });
    r.results = Array(10).fill(true);
    r.transport.start();
    await r.clock.advance(35_000);
    expect(r.pulls).toEqual([0, 10_000, 20_000, 30_000]);
    expect(r.transport.pollIntervalS()).toBe(10);
  });

  test("idle polls back off ×1.5 up to 4× the interval", async () => {
    const r = rig({ device: PHONE, interval: 30 });
    r.transport.start();
    await r.clock.advance(600_000);
    const gaps = r.pulls.slice(1).map((t, i) => t - r.pulls[i]!);
    expect(gaps.slice(0, 6)).toEqual([45_000, 67_500, 101_250, 120_000, 120_000, 120_000]);
  });

  test("the backoff resets to the base interval when changes arrive", async () => {
    const r = rig({ device: PHONE, interval: 30 });
    r.results = [false, false, false, true, false];
    r.transport.start();
    await r.clock.advance(400_000);
    const gaps = r.pulls.slice(1).map((t, i) => t - r.pulls[i]!);
    // 0 → 45 → 67.5 → 101.25 (this one finds changes) → 30 → 45
    expect(gaps.slice(0, 5)).toEqual([45_000, 67_500, 101_250, 30_000, 45_000]);
  });

  test("a user action (nudge) brings polling back to the base rate", async () => {
    const r = rig({ device: PHONE, interval: 30 });
    r.transport.start();
    await r.clock.advance(200_000); // backed off to 101.25 s
    const before = r.pulls.length;
    r.transport.nudge();
    await r.clock.advance(30_000);
    expect(r.pulls.length).toBe(before + 1);
  });

  test("polling pauses while hidden", async () => {
    const r = rig({ device: PHONE });
    r.transport.start();
    await r.clock.advance(1_000);
    r.env.emit("hidden");
    const before = r.pulls.length;
    await r.clock.advance(30 * 60_000);
    expect(r.pulls.length).toBe(before);
  });

  test.each(["visible", "focus", "online"] as const)("pulls at once on %s", async (event) => {
    const r = rig({ device: PHONE });
    r.transport.start();
    await r.clock.advance(1_000);
    if (event === "visible") r.env.emit("hidden");
    if (event === "online") r.env.emit("offline");
    await r.clock.advance(60_000);
    const before = r.pulls.length;
    r.env.emit(event);
    await r.clock.advance(0);
    expect(r.pulls.length).toBe(before + 1);
    expect(r.pulls.at(-1)).toBe(61_000);
  });

  test("nothing is scheduled while offline; online resumes at the base interval", async () => {
    const r = rig({ device: PHONE });
    r.transport.start();
    await r.clock.advance(300_000); // fully backed off
    r.env.emit("offline");
    const before = r.pulls.length;
    await r.clock.advance(600_000);
    expect(r.pulls.length).toBe(before);
    r.env.emit("online");
    await r.clock.advance(45_000);
    // at once, then 45 s later: the backoff restarted from 1× (one idle pull → 1.5×), not 4×
    expect(r.pulls.slice(before)).toEqual([900_000, 945_000]);
  });

  test("an unreachable server marks the link offline until a pull succeeds", async () => {
    const r = rig({ device: PHONE });
    r.results = ["offline", true];
    r.transport.start();
    await r.clock.advance(0);
    expect(r.mode()).toBe("offline");
    await r.clock.advance(45_000);
    expect(r.mode()).toBe("polling");
    expect(r.reached).toEqual([false, true]); // the store decides what follows (status, flushing the outbox)
  });
});

describe("socket", () => {
  test("an open socket makes the link live and pulls only every 60 s as a safety net", async () => {
    const r = rig();
    r.transport.start();
    lastSocket(r).open();
    await r.clock.advance(0);
    expect(r.mode()).toBe("live");
    const t0 = r.pulls.length;
    // keep the socket chatty so the heartbeat never fires
    for (let i = 0; i < 18; i++) {
      await r.clock.advance(10_000);
      lastSocket(r).receive({ type: "pong" });
    }
    expect(r.pulls.length - t0).toBe(3);
    expect(r.pulls.slice(t0)).toEqual([SAFETY_PULL_MS, 2 * SAFETY_PULL_MS, 3 * SAFETY_PULL_MS]);
    expect(sockets(r)).toHaveLength(1);
  });

  test.each(["online", "visible"] as const)("a socket client still pulls on %s", async (event) => {
    const r = rig();
    r.transport.start();
    lastSocket(r).open();
    await r.clock.advance(1_000);
    const before = r.pulls.length;
    r.env.emit(event);
    await r.clock.advance(0);
    expect(r.pulls.length).toBe(before + 1);
  });

  test("server messages are passed on; pongs are not", async () => {
    const r = rig();
    r.transport.start();
    lastSocket(r).open();
    lastSocket(r).receive({ type: "hello", cursor: "3" });
    lastSocket(r).receive({ type: "pong" });
    expect(r.messages).toEqual([{ type: "hello", cursor: "3" }]);
  });

  test("when the socket drops the client pulls at once, polls meanwhile, and retries the socket", async () => {
    const r = rig();
    const attempts = spyOnConnects(r);
    r.transport.start();
    lastSocket(r).open();
    await r.clock.advance(1_000);
    const before = r.pulls.length;
    r.server.down = true; // every reconnect attempt fails
    lastSocket(r).drop();
    await r.clock.advance(0);
    expect(r.mode()).toBe("polling");
    expect(r.pulls.length).toBe(before + 1); // catches up on what the socket missed
    await r.clock.advance(60_000);
    // random() = 0.5 → ¾ of 1 s, 2 s, 4 s, 8 s, 16 s, 32 s after each failure
    expect(attempts.slice(1)).toEqual([1_750, 3_250, 6_250, 12_250, 24_250, 48_250]);
    // polling goes on while the socket is down (two idle pulls so far: 2.25 × 30 s)
    expect(r.pulls.slice(before + 1)).toEqual([]);
    await r.clock.advance(10_000);
    expect(r.pulls.slice(before + 1)).toEqual([68_500]);
  });

  test("a desktop whose socket never connects still polls on schedule", async () => {
    const r = rig();
    r.server.down = true; // WebSockets blocked (proxy), HTTP fine
    r.transport.start();
    await r.clock.advance(30 * 60_000);
    // idle backoff tops out at 4 × 30 s, so at least one pull per two minutes
    const gaps = r.pulls.slice(1).map((t, i) => t - r.pulls[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(120_000);
    expect(r.pulls.length).toBeGreaterThanOrEqual(15);
  });

  test("reconnect delays grow exponentially with jitter", () => {
    const lo = [0, 1, 2, 3, 10].map((a) => backoffMs(a, () => 0));
    const hi = [0, 1, 2, 3, 10].map((a) => backoffMs(a, () => 1));
    expect(lo).toEqual([500, 1_000, 2_000, 4_000, 30_000]);
    expect(hi).toEqual([1_000, 2_000, 4_000, 8_000, 60_000]);
  });

  test("reconnect attempts are spaced by the jittered backoff", async () => {
    const r = rig();
    const attempts = spyOnConnects(r);
    r.server.down = true;
    r.randoms.push(0, 1, 0, 1);
    r.transport.start();
    await r.clock.advance(20_000);
    // waits of 0.5 s (½ of 1 s), 2 s (all of 2 s), 2 s (½ of 4 s), 8 s (all of 8 s)
    expect(attempts.slice(0, 5)).toEqual([0, 500, 2_500, 4_500, 12_500]);
  });

  test("a socket that reconnects goes live again and resets the backoff", async () => {
    const r = rig();
    r.transport.start();
    lastSocket(r).drop();
    await r.clock.advance(1_000); // reconnect after 0.75 s
    expect(sockets(r)).toHaveLength(2);
    lastSocket(r).open();
    expect(r.mode()).toBe("live");
    lastSocket(r).drop();
    await r.clock.advance(750);
    expect(sockets(r)).toHaveLength(3); // attempt counter was reset: 0.75 s again
  });

  test("a socket that never opens times out and falls back", async () => {
    const r = rig();
    r.transport.start();
    await r.clock.advance(9_999);
    expect(lastSocket(r).closed).toBe(false);
    await r.clock.advance(1);
    expect(sockets(r)[0]!.closed).toBe(true);
  });

  test("a silent socket is pinged, and declared dead without a pong", async () => {
    const r = rig();
    r.transport.start();
    const ws = lastSocket(r);
    ws.open();
    await r.clock.advance(HEARTBEAT_MS);
    expect(ws.sent).toEqual([{ type: "ping" }]);
    await r.clock.advance(PONG_TIMEOUT_MS - 1);
    expect(ws.closed).toBe(false);
    await r.clock.advance(1);
    expect(ws.closed).toBe(true);
    expect(r.mode()).toBe("polling");
  });

  test("a pong keeps the socket alive", async () => {
    const r = rig();
    r.transport.start();
    const ws = lastSocket(r);
    ws.open();
    await r.clock.advance(HEARTBEAT_MS + 1_000);
    ws.receive({ type: "pong" });
    await r.clock.advance(HEARTBEAT_MS + 1_000);
    ws.receive({ type: "pong" });
    expect(ws.closed).toBe(false);
    expect(ws.sent).toHaveLength(2);
  });

  test.each(["online", "visible"] as const)("%s reconnects at once instead of waiting out the backoff", async (ev) => {
    const r = rig();
    const attempts = spyOnConnects(r);
    r.server.down = true;
    r.transport.start();
    await r.clock.advance(30_000); // several failures: the next retry is far off
    const n = attempts.length;
    r.server.down = false;
    r.env.emit(ev);
    expect(attempts).toHaveLength(n + 1);
    expect(attempts.at(-1)).toBe(30_000);
  });

  test("stop closes the socket, cancels every timer and unsubscribes", async () => {
    const r = rig();
    r.transport.start();
    lastSocket(r).open();
    r.transport.stop();
    expect(lastSocket(r).closed).toBe(true);
    expect(r.clock.timers.size).toBe(0);
    expect(r.env.listenerCount()).toBe(0);
  });
});
