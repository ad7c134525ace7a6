/**
 * The demo account's market content: a focus session completed through the
 * API (so it earns like a real one: 25 coins and the first-session bonus), a
 * custom reward of its own and a first purchase — a wallet, an inventory, a
 * ledger with bonuses and two earned achievements on first run. Stable ids:
 * an interrupted seed can run again.
 */
import type { Demo } from "./demo.ts";

const STRETCH_BREAK = "00000000-0000-4000-8000-00000000c002";

export async function market(demo: Demo): Promise<void> {
  const session = demo.id("market:session");
  const [existing] = await demo.sql("select 1 from focus_sessions where id = $1 and user_id = $2", [
    session,
    demo.userId,
  ]);
  // Earned on an earlier run (a repeated POST would answer 200 and the complete 409), or another
  // session is running: skip the earning part.
  const started =
    !existing &&
    (await demo
      .api("POST", "/api/focus/sessions", { id: session, duration_s: 1500, label: "Demo: earn some coins" })
      .then(() => true)
      .catch(() => false));
  if (started) {
    // Let it have "run" its 25 minutes (what the API can't do), then complete it through the API.
    await demo.sql(
      "update focus_sessions set started_at = now() - interval '25 minutes' where user_id = $1 and id = $2",
      [demo.userId, session],
    );
    await demo.api("POST", `/api/focus/sessions/${session}/complete`);
  }
  await demo.create("/api/market/items", {
    id: demo.id("market:reward"),
    name: "An episode of my show",
    price: 60,
    tags: ["fun"],
  });
  await demo.api("POST", "/api/market/purchases", { item_id: STRETCH_BREAK, id: demo.id("market:purchase") });
}
