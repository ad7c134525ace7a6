/**
 * What a soak device does next, drawn from the seeded PRNG: the market (20 %),
 * an undo or a restore from the trash (8 %, issue 24: racing the other
 * devices' edits), else create (40 %), edit with If-Match, a body version or
 * no precondition (30 %), delete (12 %) or change settings (18 %) — every one
 * through the device's outbox (keys, retries, lost responses, duplicates).
 */
import { randomUUID } from "node:crypto";
import type { Device } from "./soak-client.ts";
import { marketAction } from "./soak-market.ts";
import { chance, pick, rand } from "./soak-world.ts";

export function randomAction(d: Device): void {
  // 20 %: the market (purchases, refunds, focus sessions that earn coins).
  if (chance(0.2)) {
    const market = {
      view: d.view,
      ids: d.u.ids,
      http: (q: Parameters<Device["http"]>[0]) => d.http(q),
      auth: () => d.auth(),
    };
    return d.enqueue("market", marketAction(market, rand));
  }
  if (chance(0.08)) return undoOrRestore(d);
  const r = rand();
  const items = d.inboxItems();
  if (r < 0.4 || items.length === 0) {
    const id = randomUUID();
    const nonce = `${d.name}-n${d.nonce++}`;
    d.u.ids.add(id);
    d.enqueue(
      "create",
      {
        method: "POST",
        path: "/api/user/inbox",
        body: { id, title: `${nonce} v1`, description: nonce, tags: [d.name] },
      },
      id,
    );
  } else if (r < 0.7) {
    const it = pick(items)!;
    const headers: Record<string, string> = {};
    const body: Record<string, unknown> = {
      title: `${String(it.description)} e${d.nonce++}`,
      tags: [d.name, "edited"],
    };
    const how = rand();
    if (how < 0.7) headers["if-match"] = `"${it.version}"`;
    else if (how < 0.9) body.version = it.version;
    // else: no precondition (last write wins)
    d.enqueue("update", { method: "PUT", path: `/api/user/inbox/${it.id}`, headers, body }, it.id);
  } else if (r < 0.82) {
    const it = pick(items)!;
    const headers: Record<string, string> = chance(0.85) ? { "if-match": `"${it.version}"` } : {};
    d.enqueue("delete", { method: "DELETE", path: `/api/user/inbox/${it.id}`, headers }, it.id);
  } else {
    const s = [...d.view.entries()].find(([k]) => k.startsWith("settings:"))?.[1];
    const headers: Record<string, string> = s && chance(0.5) ? { "if-match": `"${s.version}"` } : {};
    const theme = pick(["light", "dark", "system"]);
    d.enqueue("settings", {
      method: "PUT",
      path: "/api/settings",
      headers,
      body: { theme, ui: { [d.name]: d.nonce++ } },
    });
  }
}

/**
 * Undo the latest change of an inbox item this device sees (an edit comes
 * back, a creation is deleted), or restore one from the trash (read first,
 * while online). Other devices keep editing the same items meanwhile, so
 * either may meet 409 version_conflict — a refusal, never a lost write.
 */
function undoOrRestore(d: Device): void {
  const it = pick(d.inboxItems());
  if (chance(0.5) && it) {
    const body = { entity: "inbox_item", id: it.id, version: it.version };
    return d.enqueue("undo", { method: "POST", path: "/api/history/undo", body }, it.id);
  }
  if (!d.online) return;
  void d
    .http({ method: "GET", path: "/api/trash?page_size=20", headers: d.auth() })
    .then((res) => {
      if (res.status !== 200) return;
      const entries = (res.json() as { items: { id: string; entity: string; record_id: string }[] }).items;
      const entry = pick(entries.filter((e) => e.entity === "inbox_item"));
      if (entry) d.enqueue("restore", { method: "POST", path: `/api/history/${entry.id}/restore` }, entry.record_id);
    })
    .catch(() => {});
}
