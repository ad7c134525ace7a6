// What a view shows for an entity: the server-confirmed records with the
// outbox laid over them, in queue order. A pure function of the two, so the
// rules are plain to read and test.
import type { CachedRecord, Data, OutboxEntry } from "./db.ts";

export function overlay(
  entity: string,
  base: ReadonlyMap<string, CachedRecord> | undefined,
  outbox: readonly OutboxEntry[],
): Data[] {
  const out = new Map<string, Data>();
  for (const r of base?.values() ?? []) out.set(r.id, r.data);
  for (const e of outbox) {
    if (e.entity !== entity) continue;
    if (e.state === "committed" && e.server) {
      // The server's answer stands in until the feed catches up, unless the feed is already newer.
      const id = String(e.server.id);
      const have = base?.get(id);
      if (!have || have.version < Number(e.server.version)) out.set(id, e.server);
      continue;
    }
    if (!e.optimistic) continue;
    if (e.optimistic.op === "delete") out.delete(e.id);
    // A committed entry's optimistic record only fills in until the base has the record.
    else if (e.state === "pending" || !base?.has(e.id)) out.set(e.id, e.optimistic.data);
  }
  return [...out.values()];
}

/** One record of `overlay()`'s answer (the same object it would hold), without building the list. */
export function overlayOne(
  entity: string,
  id: string,
  base: ReadonlyMap<string, CachedRecord> | undefined,
  outbox: readonly OutboxEntry[],
): Data | undefined {
  let out = base?.get(id)?.data;
  for (const e of outbox) {
    if (e.entity !== entity) continue;
    if (e.state === "committed" && e.server) {
      if (String(e.server.id) !== id) continue;
      const have = base?.get(id);
      if (!have || have.version < Number(e.server.version)) out = e.server;
      continue;
    }
    if (!e.optimistic || e.id !== id) continue;
    if (e.optimistic.op === "delete") out = undefined;
    else if (e.state === "pending" || !base?.has(e.id)) out = e.optimistic.data;
  }
  return out;
}
