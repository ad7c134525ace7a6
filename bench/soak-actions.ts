/**
 * What a soak device does next, drawn from the seeded PRNG: create (40 %),
 * edit with If-Match, a body version or no precondition (30 %), delete (12 %)
 * or change settings (18 %) — every one through the device's outbox.
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
