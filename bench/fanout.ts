/**
 * Fan-out: many WebSockets held open on /api/sync/ws, writes over HTTP on one
 * device of a user, arrival measured on that user's other devices, against a
 * DO WebSocket echo measured at the same time. Also used, small and
 * sequential, by the simulated-network table (bench/network.ts).
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { FANOUT_CHANGES_PER_USER, FANOUT_THINK_MS, FANOUT_USERS, jitter, log, SOCKETS_PER_USER } from "./config.ts";
import { fmt, makeAgent, send, summarize, type TestUser } from "./lib.ts";
import { sleep, type Stack } from "./stack.ts";

export interface Device {
  user: number;
  idx: number;
  ws: WebSocket;
  /** record id → arrival time */
  arrivals: Map<string, number>;
  pong?: () => void;
  leaks: number;
}

export async function openDevice(
  stack: Stack,
  user: TestUser,
  userIdx: number,
  idx: number,
  own: Set<string>,
): Promise<Device> {
  const url = stack.baseUrl.replace(/^http/, "ws") + "/api/sync/ws";
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${user.token}`, "x-client-id": `bench-${idx}` } });
  const dev: Device = { user: userIdx, idx, ws, arrivals: new Map(), leaks: 0 };
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no hello within 10 s")), 10_000);
    ws.on("message", (data) => {
      const now = performance.now();
      const m = JSON.parse(String(data));
      if (m.type === "hello") {
        clearTimeout(t);
        resolve();
      } else if (m.type === "pong") dev.pong?.();
      else if (m.type === "changes") {
        for (const ch of m.changes) {
          if (ch.entity === "inbox_item" && !own.has(ch.id)) dev.leaks++;
          if (!dev.arrivals.has(ch.id)) dev.arrivals.set(ch.id, now);
        }
      }
    });
    ws.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    ws.on("unexpected-response", (_req, res) => {
      clearTimeout(t);
      reject(new Error(`upgrade refused: ${res.statusCode}`));
    });
  });
  return dev;
}

export async function fanOut(stack: Stack, users: TestUser[]) {
  const fanUsers = users.slice(0, FANOUT_USERS);
  const owned = fanUsers.map(() => new Set<string>());
  const devices: Device[][] = fanUsers.map(() => []);
  // Open 150 sockets, 10 at a time.
  const jobs: Array<() => Promise<void>> = [];
  fanUsers.forEach((u, ui) => {
    for (let d = 0; d < SOCKETS_PER_USER; d++)
      jobs.push(async () => {
        devices[ui]![d] = await openDevice(stack, u, ui, d, owned[ui]!);
      });
  });
  const tOpen = performance.now();
  for (let i = 0; i < jobs.length; i += 10) await Promise.all(jobs.slice(i, i + 10).map((j) => j()));
  const openMs = performance.now() - tOpen;
  log(`fan-out: ${jobs.length} sockets open in ${fmt(openMs, 0)} ms`);

  // Echo baseline, measured at the same time as the fan-out (same machine
  // conditions): every socket pings every 0.5–1.5 s until the writers finish.
  const echo: number[] = [];
  const phase = { writing: true };
  const pinging = Promise.all(
    devices.flat().map(async (dev) => {
      await sleep(jitter(0, 1000));
      while (phase.writing) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 5000);
          dev.pong = () => {
            clearTimeout(t);
            echo.push(performance.now() - t0);
            resolve();
          };
          dev.ws.send(JSON.stringify({ type: "ping" }));
        });
        dev.pong = undefined;
        await sleep(jitter(500, 1500));
      }
    }),
  );

  // Fan-out: each user writes on one of its devices; arrival measured on the other two.
  const agent = makeAgent(FANOUT_USERS);
  const e2e: number[] = [];
  const afterAck: number[] = [];
  const writes: Array<{ ui: number; writer: number; id: string; tSend: number; tAck: number; ok: boolean }> = [];
  const tPhase = performance.now();
  await Promise.all(
    fanUsers.map(async (u, ui) => {
      await sleep(jitter(0, FANOUT_THINK_MS[1]));
      for (let i = 0; i < FANOUT_CHANGES_PER_USER; i++) {
        const id = randomUUID();
        owned[ui]!.add(id);
        const writer = i % SOCKETS_PER_USER;
        const tSend = performance.now();
        const res = await send(stack.baseUrl, agent, {
          method: "POST",
          path: "/api/user/inbox",
          headers: {
            authorization: `Bearer ${u.token}`,
            "idempotency-key": randomUUID(),
            "x-client-id": `bench-${writer}`,
          },
          body: { id, title: `fan-out ${ui}/${i}` },
        }).catch(() => null);
        writes.push({ ui, writer, id, tSend, tAck: performance.now(), ok: res?.status === 201 });
        await sleep(jitter(...FANOUT_THINK_MS));
      }
    }),
  );
  const phaseS = (performance.now() - tPhase) / 1000;
  phase.writing = false;
  await pinging;
  await sleep(2000); // stragglers
  let missing = 0;
  for (const w of writes) {
    if (!w.ok) continue;
    for (const dev of devices[w.ui]!) {
      if (dev.idx === w.writer) continue;
      const at = dev.arrivals.get(w.id);
      if (at === undefined) {
        missing++;
        continue;
      }
      e2e.push(at - w.tSend);
      afterAck.push(at - w.tAck);
    }
  }
  const leaks = devices.flat().reduce((n, d) => n + d.leaks, 0);
  for (const d of devices.flat()) d.ws.terminate();
  agent.destroy();
  const okWrites = writes.filter((w) => w.ok).length;
  log(
    `fan-out: ${okWrites}/${writes.length} writes ok, ${e2e.length} deliveries, ${missing} missing, ${leaks} leaks; e2e p50 ${fmt(summarize(e2e).p50)} p99 ${fmt(summarize(e2e).p99)} ms; echo p50 ${fmt(summarize(echo).p50)}`,
  );
  return {
    sockets: jobs.length,
    openMs,
    echo: summarize(echo),
    e2e: summarize(e2e),
    afterAck: summarize(afterAck),
    write: summarize(writes.filter((w) => w.ok).map((w) => w.tAck - w.tSend)),
    writes: writes.length,
    okWrites,
    missing,
    leaks,
    rate: okWrites / phaseS,
  };
}
