/**
 * The market's part of `npm run soak`: purchases, refunds and focus sessions
 * (started and completed, which earns coins and achievements) join each
 * device's random actions, and at the end every user's balance must equal the
 * sum of their ledger and never be negative (nor any row's balance_after).
 *
 * Wallets, ledger rows and achievements are created by the server, so their
 * ids are not ones a device generated: the live "foreign record" check skips
 * those entities and the final comparison against the user's own API listings
 * catches any leak instead.
 */
import { randomUUID } from "node:crypto";

type Wire = Record<string, unknown> & { id: string; version: number };
interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}
interface Res {
  status: number;
  json(): any;
}
/** What the soak's Device offers this module. */
export interface MarketDevice {
  view: Map<string, Wire>;
  ids: Set<string>;
  http(req: Req): Promise<Res>;
  auth(): Record<string, string>;
}

/** Entities whose ids the server makes (not in a device's own id set). */
export const SERVER_CREATED = new Set(["wallet", "market_transaction", "market_reward"]);
/** Listed by no endpoint as records: left out of the record-by-record comparison (counted in the ledger check). */
export const UNLISTED = new Set(["market_reward"]);

/** Refusals that are the rules working, not bugs. */
export const EXPECTED_CODES = new Set([
  "insufficient_funds",
  "already_owned",
  "already_refunded",
  "refund_window_closed",
  "focus_session_running",
  "focus_session_ended",
  "focus_not_running",
]);

const CHEAP = [
  "00000000-0000-4000-8000-00000000c002", // stretch break, 15
  "00000000-0000-4000-8000-00000000c005", // snack, 25
  "00000000-0000-4000-8000-00000000c001", // coffee, 30
  "00000000-0000-4000-8000-00000000b001", // brown noise, 120 (non-consumable: already_owned races)
];

const records = (d: MarketDevice, entity: string) =>
  [...d.view.entries()].filter(([k]) => k.startsWith(`${entity}:`)).map(([, v]) => v);

/** A random market or focus request for this device (client ids registered as the user's). */
export function marketAction(d: MarketDevice, rand: () => number): Req {
  const r = rand();
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  if (r < 0.45) {
    const id = randomUUID();
    d.ids.add(id);
    return { method: "POST", path: "/api/market/purchases", body: { item_id: pick(CHEAP), id } };
  }
  const live = records(d, "market_purchase").filter((p) => !p.refunded_at);
  if (r < 0.6 && live.length) return { method: "POST", path: `/api/market/purchases/${pick(live).id}/refund` };
  const running = records(d, "focus_session").find((s) => s.status === "active" || s.status === "paused");
  if (running) return { method: "POST", path: `/api/focus/sessions/${running.id}/complete` };
  const id = randomUUID();
  d.ids.add(id);
  return { method: "POST", path: "/api/focus/sessions", body: { id, duration_s: 60 } };
}

async function listAll(d: Pick<MarketDevice, "http" | "auth">, path: string): Promise<Wire[] | null> {
  const out: Wire[] = [];
  for (let page = 1; page <= 100; page++) {
    const res = await d.http({ method: "GET", path: `${path}?page=${page}&page_size=100`, headers: d.auth() });
    if (res.status !== 200) return null;
    const body = res.json() as { items: Wire[] };
    out.push(...body.items);
    if (body.items.length < 100) break;
  }
  return out;
}

/** The user's market and focus records as the API lists them, keyed like the soak's views ("entity:id"). */
export async function marketServerState(d: Pick<MarketDevice, "http" | "auth">): Promise<Map<string, Wire> | null> {
  const state = new Map<string, Wire>();
  const wallet = await d.http({ method: "GET", path: "/api/market/wallet", headers: d.auth() });
  if (wallet.status !== 200) return null;
  const w = wallet.json() as Wire;
  state.set(`wallet:${w.id}`, w);
  for (const [entity, path] of [
    ["market_purchase", "/api/market/purchases"],
    ["market_transaction", "/api/market/transactions"],
    ["focus_session", "/api/focus/sessions"],
  ] as const) {
    const rows = await listAll(d, path);
    if (!rows) return null;
    for (const r of rows) state.set(`${entity}:${r.id}`, r);
  }
  return state;
}

/** Focus responses carry remaining time as of "now"; the feed's as of updated_at: compare what's stored. */
export function comparable(key: string, v: Wire): Wire {
  if (!key.startsWith("focus_session:")) return v;
  const { remaining_s: _r, ends_at: _e, ...rest } = v;
  return rest as Wire;
}

/** The economy's invariants for one user, from their server state. */
export function ledgerViolations(label: string, state: Map<string, Wire>): string[] {
  const out: string[] = [];
  const wallet = [...state].find(([k]) => k.startsWith("wallet:"))?.[1];
  const ledger = [...state].filter(([k]) => k.startsWith("market_transaction:")).map(([, v]) => v);
  if (!wallet) return [`${label}: no wallet`];
  const balance = Number(wallet.balance);
  const sum = ledger.reduce((s, t) => s + Number(t.amount), 0);
  if (balance !== sum) out.push(`${label}: balance ${balance} ≠ ledger sum ${sum}`);
  if (balance < 0) out.push(`${label}: negative balance ${balance}`);
  for (const t of ledger) if (Number(t.balance_after) < 0) out.push(`${label}: ledger row ${t.id} below zero`);
  const sources = new Set(ledger.map((t) => `${String(t.source_type)}:${String(t.source_id)}`));
  if (sources.size !== ledger.length) out.push(`${label}: a source credited twice`);
  return out;
}
