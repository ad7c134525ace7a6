/**
 * The demo account and a little content in every domain, so a newcomer's
 * first `npm run dev` shows what the product does. Used by scripts/dev.ts
 * against a local database only (the password is published).
 *
 * Everything goes through the HTTP API, i.e. the same write path, change log
 * and relay as a real client; record ids are derived from a name, so a seed
 * interrupted half-way can simply run again (same id + same content = 200).
 *
 * Adding a domain (Market, Studio, Assistant…): write one `async (demo) => {…}`
 * below and add it to DEMO_SEEDS. A declared record type needs nothing: its
 * declaration's `sample` seeds it (`declared`) unless SEEDED_BY names a seed. Each seed runs once per database: dev.ts
 * remembers which names ran, so a new entry also fills an existing demo account.
 */
import { createHash } from "node:crypto";
import { Pool, neonConfig } from "@neondatabase/serverless";
import ws from "ws";
import { configureDriver } from "../db/client.ts";
import { entities } from "../workers/protocol/registry.ts";
import { assistant } from "./demo-assistant.ts";
import { market } from "./demo-market.ts";
import { studio } from "./demo-studio.ts";
import type { Demo } from "./demo.ts";

export const DEMO = { email: "demo@continuum.local", username: "demo", password: "continuum-demo" };

type Seed = (demo: Demo) => Promise<void>;

// ---- one function per domain ---------------------------------------------------

const inbox: Seed = async (demo) => {
  const items: Array<[string, string, string[]]> = [
    ["Book the dentist", "Ask for a morning slot, any day but Tuesday.", ["errands"]],
    ["Read: How to take smart notes", "Recommended by Sam — chapter 4 first.", ["reading"]],
    ["Sketch the onboarding flow", "Three screens at most; skip sign-up until the first save.", ["work", "design"]],
    ["Buy oat milk and coffee beans", "", ["errands", "groceries"]],
    ["Idea: a weekly review template", "What moved, what stalled, what to drop.", ["ideas"]],
  ];
  for (const [title, description, tags] of items)
    await demo.create("/api/user/inbox", { id: demo.id(`inbox:${title}`), title, description, tags });
};

const focus: Seed = async (demo) => {
  // [label, planned minutes, focused minutes, minutes ago it ended]
  const sessions: Array<[string, number, number, number]> = [
    ["Write the weekly review", 25, 25, 26 * 60],
    ["Deep work: onboarding flow", 50, 50, 3 * 60],
    ["Inbox zero", 25, 14, 40], // completed early: history shows 14 of 25 min
  ];
  for (const [label, planned, focused, endedAgo] of sessions) {
    const id = demo.id(`focus:${label}`);
    const [existing] = await demo.sql<{ status: string }>(
      "select status from focus_sessions where id = $1 and user_id = $2",
      [id, demo.userId],
    );
    if (existing?.status === "completed") continue;
    if (!existing) await demo.api("POST", "/api/focus/sessions", { id, duration_s: planned * 60, label });
    // The API only knows "now": move the start back so the session has really
    // lasted `focused` minutes, complete it, then shift it to when it happened.
    await demo.sql(
      "update focus_sessions set started_at = now() - make_interval(mins => $2) where id = $1 and user_id = $3",
      [id, focused, demo.userId],
    );
    await demo.api("POST", `/api/focus/sessions/${id}/complete`);
    await shiftFocusSession(demo, id, endedAgo);
  }
};

/** Moves a finished session `minutesAgo` back in time, in its row and in its change-log entry alike. */
async function shiftFocusSession(demo: Demo, id: string, minutesAgo: number) {
  const shift = "make_interval(mins => $2)";
  await demo.sql(
    `update focus_sessions set started_at = started_at - ${shift}, ended_at = ended_at - ${shift}
      where id = $1 and user_id = $3`,
    [id, minutesAgo, demo.userId],
  );
  // Clients read the change log: keep its copy of the record identical.
  await demo.sql(
    `update change_log c set data = c.data
       || jsonb_build_object('started_at', to_char(f.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                             'ended_at', to_char(f.ended_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       from focus_sessions f
      where f.id = $1 and f.user_id = $2 and c.user_id = f.user_id and c.entity = 'focus_session' and c.record_id = $1
        and c.version = f.version`,
    [id, demo.userId],
  );
}

const library: Seed = async (demo) => {
  const libraryId = demo.id("library:Calm focus");
  await demo.create("/api/focus/libraries", {
    id: libraryId,
    name: "Calm focus",
    description: "Soft tones to work to (generated for the demo).",
    favorite: true,
  });
  const tones: Array<[string, number]> = [
    ["Low hum (A2)", 110],
    ["Warm tone (C3)", 130.81],
    ["Bright tone (E3)", 164.81],
  ];
  for (const [position, [title, hz]] of tones.entries()) {
    const audioId = demo.id(`audio:${title}`);
    await demo.api("POST", "/api/audio", toneWav(hz, 20), {
      "content-type": "audio/wav",
      "x-filename": encodeURIComponent(`${title}.wav`),
      "x-audio-id": audioId,
    });
    await demo.create(`/api/focus/libraries/${libraryId}/tracks`, {
      id: demo.id(`track:${title}`),
      title,
      audio_id: audioId,
      duration_s: 20,
      position,
    });
  }
};

const references: Seed = async (demo) => {
  const refs = [
    {
      title: "Pomodoro technique",
      content: "Work in 25-minute blocks with short breaks; a long break after four.",
      url: "https://en.wikipedia.org/wiki/Pomodoro_Technique",
      category: "method",
      tags: ["focus", "time"],
      pinned: true,
    },
    {
      title: "Keyboard shortcuts",
      content: "Ctrl/⌘-K opens the omnibar anywhere; Esc closes it.",
      category: "help",
      tags: ["continuum"],
      pinned: true,
    },
    {
      title: "Zettelkasten notes",
      content: "One idea per note, linked to others; write in your own words.",
      url: "https://zettelkasten.de/introduction/",
      category: "method",
      tags: ["notes"],
    },
    {
      title: "Meeting notes — kickoff",
      content: "Scope agreed; launch review in six weeks. Owner: Alex.",
      category: "work",
      tags: ["meetings"],
      archived: true,
    },
  ];
  for (const r of refs) await demo.create("/api/references", { id: demo.id(`reference:${r.title}`), ...r });
};

const todos: Seed = async (demo) => {
  // Tomorrow 17:00 UTC: stable within a day, so an interrupted seed re-runs as the same records.
  const tomorrow = new Date(new Date().setUTCHours(17, 0, 0, 0) + 86_400_000).toISOString();
  const items = [
    { title: "Send the kickoff notes to Alex", due_at: tomorrow },
    { title: "Renew the library card" },
    { title: "Back up the laptop", done: true },
  ];
  for (const t of items) await demo.create("/api/todos", { id: demo.id(`todo:${t.title}`), ...t });
};

type DeclaredEntity = {
  [E in keyof typeof entities]: (typeof entities)[E] extends { api: object } ? E : never;
}[keyof typeof entities];

/**
 * The declared record types (workers/protocol/declare.ts `api`) that a
 * hand-written seed above fills, and which one. Every other declared type
 * gets one record from its declaration's `sample` (`declared` below), so a
 * new type has demo content without an edit here; tests/e2e/dev.test.ts
 * checks that every declared type has some.
 */
const SEEDED_BY = {
  inbox_item: "inbox",
  focus_library: "library",
  reference: "references",
  todo: "todos",
  loop: "studio",
  song: "studio",
  conversation: "assistant",
} as const satisfies Partial<Record<DeclaredEntity, string>>;

const declared: Seed = async (demo) => {
  for (const r of Object.values(entities))
    if ("api" in r && !Object.hasOwn(SEEDED_BY, r.entity))
      await demo.create(r.api.path, { id: demo.id(`sample:${r.entity}`), ...r.sample });
};

/**
 * Name → seed, in the order they run. Append new domains here. `npm run dev`
 * prints its URL only after every one has run (scripts/dev.ts), and
 * tests/e2e/dev.test.ts checks each domain has content at that moment.
 */
export const DEMO_SEEDS: Record<string, Seed> = {
  inbox,
  focus,
  library,
  references,
  todos,
  market,
  studio,
  assistant,
  declared,
};

// ---- runner ---------------------------------------------------------------------

/** 16-bit mono PCM at 8 kHz: a sine tone with a gentle fade in and out. */
export function toneWav(hz: number, seconds: number, rate = 8000): Uint8Array {
  const samples = rate * seconds;
  const buf = new DataView(new ArrayBuffer(44 + samples * 2));
  const put = (at: number, s: string) => [...s].forEach((ch, i) => buf.setUint8(at + i, ch.charCodeAt(0)));
  put(0, "RIFF");
  buf.setUint32(4, 36 + samples * 2, true);
  put(8, "WAVE");
  put(12, "fmt ");
  buf.setUint32(16, 16, true);
  buf.setUint16(20, 1, true); // PCM
  buf.setUint16(22, 1, true); // mono
  buf.setUint32(24, rate, true);
  buf.setUint32(28, rate * 2, true);
  buf.setUint16(32, 2, true);
  buf.setUint16(34, 16, true);
  put(36, "data");
  buf.setUint32(40, samples * 2, true);
  const fade = rate; // 1 s
  for (let i = 0; i < samples; i++) {
    const envelope = Math.min(1, i / fade, (samples - i) / fade);
    buf.setInt16(44 + i * 2, Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 6000 * envelope), true);
  }
  return new Uint8Array(buf.buffer);
}

function stableId(name: string): string {
  const h = createHash("sha256").update(`continuum-demo:${name}`).digest("hex");
  // Shaped as a version-4, RFC 4122 variant UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Creates the demo account if needed, then runs every seed not in `done`.
 * Returns the names that ran. Stops at the first failure (what ran is kept).
 */
export async function seedDemo(opts: {
  baseUrl: string;
  /** Default: the published demo account. Tests seed their own users. */
  account?: { email: string; username: string; password: string };
  databaseUrl: string;
  wsProxy?: string;
  done: ReadonlySet<string>;
  onSeeded?: (name: string) => void;
}): Promise<string[]> {
  const post = (path: string, body: unknown) =>
    fetch(`${opts.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const account = opts.account ?? DEMO;
  const signup = await post("/api/auth/signup", account);
  if (signup.status !== 201 && signup.status !== 409)
    throw new Error(`signup: HTTP ${signup.status} ${(await signup.text()).slice(0, 200)}`);
  const login = await post("/api/auth/login", { login: account.username, password: account.password });
  if (!login.ok) throw new Error(`login: HTTP ${login.status} ${(await login.text()).slice(0, 200)}`);
  const { token, user } = (await login.json()) as { token: string; user: { id: string } };

  neonConfig.webSocketConstructor = ws;
  configureDriver({ LOCAL_WS_PROXY: opts.wsProxy });
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 1 });
  const demo: Demo = {
    async api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const raw = body instanceof Uint8Array;
      const res = await fetch(`${opts.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined || raw ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : raw ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    },
    async create(path, body) {
      try {
        await demo.api("POST", path, body);
      } catch (err) {
        if (!/: HTTP 409 .*"id_conflict"/.test((err as Error).message)) throw err;
      }
    },
    // Per account, so several seeded accounts never share a record id.
    userId: user.id,
    id: (name) => stableId(opts.account ? `${account.username}:${name}` : name),
    async sql<T>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as T[];
    },
  };
  const ran: string[] = [];
  try {
    for (const [name, seed] of Object.entries(DEMO_SEEDS)) {
      if (opts.done.has(name)) continue;
      await seed(demo);
      ran.push(name);
      opts.onSeeded?.(name);
    }
  } finally {
    await pool.end().catch(() => {});
  }
  return ran;
}
