/**
 * A user with something in every domain (for account deletion and export),
 * and row counts per table read from the catalog (not a hand list).
 */
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { entities } from "../../workers/protocol/registry";
import { as, type TestUser } from "./api";
import { uploadAudio, wav } from "./audio";
import { dbRows } from "./db";

/** Every table of the public schema with a `user_id` column, from pg_catalog. */
export async function userTables(): Promise<string[]> {
  const rows = await dbRows<{ table: string }>(sql`
    select c.relname as table from pg_attribute a
    join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attname = 'user_id' and not a.attisdropped
      and not c.relispartition -- counted through their parent (and the jobs make and drop them meanwhile)
    order by 1`);
  return rows.map((r) => r.table);
}

/** Rows holding `userId`, per table (every table with a user_id, plus `users` itself). */
export async function rowsOf(userId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of await userTables()) {
    const [r] = await dbRows<{ n: number }>(
      sql`select count(*)::int as n from ${sql.identifier(table)} where user_id = ${userId}`,
    );
    out[table] = r!.n;
  }
  const [u] = await dbRows<{ n: number }>(sql`select count(*)::int as n from users where id = ${userId}`);
  out.users = u!.n;
  return out;
}

const ok = async <T extends { status: number; body: any }>(p: Promise<T>, status = 201) => {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
};

/**
 * Content in every domain for `u`, and cross-user links with `other`: `u`
 * likes and remixes `other`'s public loop, `other` likes and remixes `u`'s.
 */
export async function populate(u: TestUser, other: TestUser) {
  const a = as(u);
  const audio = await uploadAudio(u.token, wav(1), "rain.wav");
  expect(audio.status).toBe(201);
  await ok(a.post("/api/user/inbox", { title: "buy milk", tags: ["errands"] }));
  await ok(a.put("/api/settings", { theme: "dark" }), 200);
  const lib = await ok(a.post("/api/focus/libraries", { name: "Rain" }));
  await ok(a.post(`/api/focus/libraries/${lib.id}/tracks`, { title: "Rain", audio_id: audio.body.id }));
  await ok(a.post(`/api/focus/libraries/${lib.id}/tracks`, { title: "Far away", url: "https://example.com/a.mp3" }));
  await ok(a.post("/api/references", { title: "Notes", content: "café au lait", audio_id: audio.body.id }));
  await ok(a.post("/api/todos", { title: "water plants" }));
  const session = await ok(a.post("/api/focus/sessions", { duration_s: 60 }));
  await ok(a.post(`/api/focus/sessions/${session.id}/complete`), 200);
  const conversation = await ok(a.post("/api/assistant/conversations", { title: "Chat" }));
  await ok(
    a.post(`/api/assistant/conversations/${conversation.id}/actions/send_message`, { content: "add todo tea" }),
    200,
  );
  const reward = await ok(a.post("/api/market/items", { name: "Cake", price: 5 }));
  await ok(a.post("/api/market/purchases", { item_id: reward.id }));
  const loop = await ok(
    a.post("/api/studio/loops", {
      name: "Mine",
      bars: 1,
      bpm: 90,
      color: "#112233",
      chord_progression: ["Am"],
      visibility: "public",
      remixable: true,
    }),
  );
  await ok(
    a.post("/api/studio/songs", { title: "Song", bpm: 90, timeline: [{ loop_id: loop.id, start_bar: 0, repeat: 2 }] }),
  );
  await ok(a.post("/api/auth/tokens", { name: "laptop" }));
  // Every other declared record type (workers/protocol/declare.ts): one record from its sample, so a new type is covered here by itself.
  for (const r of Object.values(entities))
    if ("api" in r && (await a.get(r.api.path)).body.total === 0) await ok(a.post(r.api.path, r.sample));

  const theirs = await ok(
    as(other).post("/api/studio/loops", {
      name: "Theirs",
      bars: 2,
      bpm: 100,
      color: "#445566",
      visibility: "public",
      remixable: true,
    }),
  );
  await ok(a.put(`/api/studio/loops/${theirs.id}/like`), 200);
  const myRemix = await ok(a.post(`/api/studio/loops/${theirs.id}/remix`, {}));
  await ok(as(other).put(`/api/studio/loops/${loop.id}/like`), 200);
  const theirRemix = await ok(as(other).post(`/api/studio/loops/${loop.id}/remix`, {}));
  return { audio: audio.body, loop, theirs, myRemix, theirRemix, conversation };
}
