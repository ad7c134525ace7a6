/**
 * POST /api/import: export → import into a fresh account → export again is the
 * same archive apart from what must change; a repeat changes nothing; a retry
 * after a failure part-way completes; bad content is 422 and writes nothing.
 */
import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { remapId } from "../../workers/data/import";
import { IMPORT_RULES } from "../../workers/data/import-rules";
import { LIMITS } from "../../workers/protocol/rules";
import { zipStream } from "../../workers/lib/zip";
import { as, BASE, signup, type TestUser } from "../support/api";
import { populate, rowsOf } from "../support/account";
import { readArchive } from "../support/archive";
import { wav } from "../support/audio";
import { checkResponse } from "../support/contract";
import { dbRows } from "../support/db";

const json = (b: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(b));
const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

async function exportOf(u: TestUser): Promise<Map<string, Uint8Array>> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/export`, { headers: { authorization: `Bearer ${u.token}` } }),
  );
  expect(res.status).toBe(200);
  return readArchive(await res.arrayBuffer());
}

async function importInto(u: TestUser, archive: Uint8Array, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/zip", ...headers },
      body: archive,
    }),
  );
  const body = (await res.json()) as any;
  await checkResponse("POST", "/api/import", res, body);
  return { status: res.status, body, headers: res.headers };
}

/** An archive from files (in order), as the export writes them. */
async function zip(files: Map<string, Uint8Array>): Promise<Uint8Array> {
  const entries = [...files].map(([name, data]) => ({ name, data: [data] }));
  return new Uint8Array(
    await new Response(
      zipStream(
        (async function* () {
          yield* entries;
        })(),
      ),
    ).arrayBuffer(),
  );
}

/**
 * An export made comparable across accounts: the manifest's date and user
 * go; loop and custom-reward ids are mapped to the ids they get in `to`;
 * loop owners and counters (other users' likes, remixes and plays stay with
 * them) go; the settings record is the account's own (its values compare);
 * accounting types are the account's own and are left out (not imported).
 */
async function normalised(files: Map<string, Uint8Array>, to: { id: string }, from?: { id: string }) {
  const manifest = json(files.get("manifest.json"));
  // The ids that had to change: the archive's loops and custom rewards (their old owner still holds them).
  const moved = new Set<string>(
    from
      ? [...json(files.get("records/loop.json")), ...json(files.get("records/market_item.json"))].map((r) => r.id)
      : [],
  );
  const map = async (id: string | null) => (id && moved.has(id) ? remapId(to.id, id) : id);
  const out: Record<string, any[]> = {};
  for (const { entity, file } of manifest.records) {
    if (IMPORT_RULES[entity as keyof typeof IMPORT_RULES]?.skip) continue;
    const rows = [];
    for (const r of json(files.get(file)) as any[]) {
      if (entity === "loop") {
        const { owner: _o, likes_count: _l, remixes_count: _r, plays_count: _p, ...rest } = r;
        rows.push({ ...rest, id: await map(r.id), parent_loop_id: await map(r.parent_loop_id) });
      } else if (entity === "market_item") rows.push({ ...r, id: await map(r.id) });
      else if (entity === "loop_like") rows.push({ ...r, id: await map(r.id), loop_id: await map(r.loop_id) });
      else if (entity === "song")
        rows.push({
          ...r,
          timeline: await Promise.all(r.timeline.map(async (e: any) => ({ ...e, loop_id: await map(e.loop_id) }))),
        });
      else if (entity === "settings") {
        const { id: _i, version: _v, created_at: _c, updated_at: _u, ...rest } = r;
        rows.push(rest);
      } else rows.push(r);
    }
    out[entity] = rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  const audio = [...files.keys()].filter((n) => n.startsWith("audio/")).map((n) => [n, files.get(n)!.length]);
  return { records: out, audio };
}

/** `to`'s export equals `from`'s archive, normalised; the like of `foreignLoop` (another user's) stays behind. */
async function expectRestored(archive: Map<string, Uint8Array>, from: TestUser, to: TestUser, foreignLoop: string) {
  const want = await normalised(archive, to, from);
  want.records.loop_like = want.records.loop_like!.filter((l) => l.loop_id !== foreignLoop);
  expect(await normalised(await exportOf(to), to)).toEqual(want);
}

describe("import", () => {
  test("export → import into a fresh account → export: the same, apart from what must change", async () => {
    const [a, other, b] = [await signup(), await signup(), await signup()];
    const made = await populate(a, other);
    // A like of one's own loop (it comes along, remapped) besides the like of the other user's loop (it does not).
    expect((await as(a).put(`/api/studio/loops/${made.loop.id}/like`)).status).toBe(200);
    const first = await exportOf(a);
    const archive = await zip(first);

    const r = await importInto(b, archive);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.remapped).toEqual({ loop: 2, market_item: 1 });
    expect(r.body.skipped.loop_like).toEqual({ count: 1, reason: "refers to another user's record" });
    expect(r.body.skipped.wallet.reason).toMatch(/accounting/);
    expect(r.body.audio).toEqual({ stored: 1, already_stored: 0, without_record: 0 });

    await expectRestored(first, a, b, made.theirs.id);
    // The restored account works as one: its audio plays, its loops count their own like and remix.
    const audio = await exports.default.fetch(
      new Request(`${BASE}/api/audio/${made.audio.id}`, { headers: { authorization: `Bearer ${b.token}` } }),
    );
    expect(new Uint8Array(await audio.arrayBuffer())).toEqual(wav(1));
    const mine = await as(b).get(`/api/studio/loops/${await remapId(b.id, made.loop.id)}`);
    expect(mine.body).toMatchObject({ likes_count: 1, remixes_count: 0, owner: { id: b.id, username: b.username } });
    // The remix of the other user's loop still says whose loop it remixes.
    const remix = await as(b).get(`/api/studio/loops/${await remapId(b.id, made.myRemix.id)}`);
    expect(remix.body.parent_loop_id).toBe(made.theirs.id);
  });

  test("round trips: an archive whose records fit in memory is 2 and no connection; a larger one streams through a transaction", async () => {
    const [a, b] = [await signup(), await signup()];
    await as(a).post("/api/user/inbox", { title: "small" });
    await as(a).post("/api/todos", { title: "small" });
    const loop = await as(a).post("/api/studio/loops", {
      name: "Mine",
      bars: 1,
      bpm: 90,
      color: "#112233",
      chord_progression: ["Am"],
    });
    expect(loop.status).toBe(201);
    const small = await importInto(b, await zip(await exportOf(a)));
    expect(small.status).toBe(200);
    // The reads that decide ids (the loop's) and the settings, led by the session check; then every write.
    expect([small.headers.get("x-db-queries"), small.headers.get("x-db-connections")]).toEqual(["2", "0"]);
    expect(small.body.imported).toMatchObject({ inbox_item: 1, todo: 1, loop: 1 });
    expect(small.body.remapped).toEqual({ loop: 1 });

    // Over BUFFERED_RECORD_BYTES of records (25 references of 95 KB): the session first, then the stream.
    const c = await signup();
    for (let i = 0; i < 25; i++)
      expect(
        (await as(c).post("/api/references", { title: `big ${i}`, content: `${i} ${"x".repeat(95_000)}` })).status,
      ).toBe(201);
    const d = await signup();
    const big = await importInto(d, await zip(await exportOf(c)));
    expect(big.status, JSON.stringify(big.body)).toBe(200);
    expect(big.body.imported).toMatchObject({ reference: 25 });
    expect(big.headers.get("x-db-connections")).toBe("1");
    const stored = await dbRows(sql`select length(content) as n from reference_items where user_id = ${d.id}`);
    expect(stored.map((r) => Number(r.n)).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `${i} `.length + 95_000).sort(),
    );
  });

  test("an archive of export version 1 lacking fields added since imports, nullable ones as null; version 2 must carry them", async () => {
    const [a, other, b, c] = [await signup(), await signup(), await signup(), await signup()];
    await populate(a, other);
    const current = await exportOf(a);
    expect(json(current.get("manifest.json")).version).toBe(2);
    // What an older build wrote: version 1, inbox items from before done_at/archived_at existed.
    const inbox = json(current.get("records/inbox_item.json")) as Record<string, unknown>[];
    expect(inbox.length).toBeGreaterThan(0);
    const old = new Map(current)
      .set("manifest.json", enc({ ...json(current.get("manifest.json")), version: 1 }))
      .set("records/inbox_item.json", enc(inbox.map(({ done_at: _d, archived_at: _a, ...rest }) => rest)));
    const r = await importInto(b, await zip(old));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.imported.inbox_item).toBe(inbox.length);
    for (const item of inbox) {
      const got = (await as(b).get(`/api/user/inbox/${item.id}`)).body;
      expect(got).toMatchObject({ id: item.id, title: item.title, done_at: null, archived_at: null });
    }

    // The same records claiming today's version are refused: a version 2 archive carries every field.
    const claimsCurrent = new Map(old).set("manifest.json", current.get("manifest.json")!);
    const refused = await importInto(c, await zip(claimsCurrent));
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0]).toMatchObject({ file: "records/inbox_item.json", path: "done_at" });
    // A version this build doesn't know is refused whole.
    const future = new Map(current).set("manifest.json", enc({ ...json(current.get("manifest.json")), version: 3 }));
    expect((await importInto(c, await zip(future))).status).toBe(422);
  });

  test("idempotent: the same archive again adds nothing; the same Idempotency-Key replays", async () => {
    const [a, other, b] = [await signup(), await signup(), await signup()];
    await populate(a, other);
    const archive = await zip(await exportOf(a));
    const key = { "idempotency-key": `import-${b.id}` };
    const once = await importInto(b, archive, key);
    expect(once.status).toBe(200);
    const rows = await rowsOf(b.id);
    const replay = await importInto(b, archive, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(once.body);
    const twice = await importInto(b, archive);
    expect(twice.status).toBe(200);
    expect(twice.body.imported).toEqual({});
    expect(twice.body.existing).toMatchObject(once.body.imported);
    expect(twice.body.audio).toEqual({ stored: 0, already_stored: 1, without_record: 0 });
    // The account's own archive, back into itself: everything is there already, no id changes.
    const self = await importInto(a, archive);
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ imported: {}, remapped: {}, audio: { stored: 0, already_stored: 1 } });
    const after = await rowsOf(b.id);
    expect({ ...after, idempotency_keys: 0 }).toEqual({ ...rows, idempotency_keys: 0 });
  });

  test("resumable: a retry after the archive broke off part-way completes it", async () => {
    const [a, other, b, c] = [await signup(), await signup(), await signup(), await signup()];
    const made = await populate(a, other);
    const files = await exportOf(a);
    const archive = await zip(files);
    // Cut inside the audio bytes (the records came before them): the records are in, the audio is not.
    const cut = archive.subarray(0, archive.length - 2000);
    const broken = await importInto(b, cut);
    // The body ended inside an audio entry: the request broke, as an upload does.
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe("upload_interrupted");
    expect((await env.AUDIO.list({ prefix: `u/${b.id}/` })).objects).toHaveLength(0);
    const resumed = await importInto(b, archive);
    expect(resumed.status).toBe(200);
    expect(resumed.body.imported).toEqual({});
    expect(resumed.body.audio).toEqual({ stored: 1, already_stored: 0, without_record: 0 });
    // The result is the same as one uninterrupted import's.
    expect((await importInto(c, archive)).status).toBe(200);
    await expectRestored(files, a, b, made.theirs.id);
    await expectRestored(files, a, c, made.theirs.id);
  });

  test("bad content: 422 naming the file, record and field; nothing is written", async () => {
    const [a, b] = [await signup(), await signup()];
    await as(a).post("/api/user/inbox", { title: "fine" });
    await as(a).post("/api/todos", { title: "fine" });
    const files = await exportOf(a);
    const before = await rowsOf(b.id);

    const items = json(files.get("records/inbox_item.json"));
    items[0].title = 42;
    const bad = new Map(files).set("records/inbox_item.json", enc(items));
    const r = await importInto(b, await zip(bad));
    expect(r.status).toBe(422);
    expect(r.body.error.details[0]).toMatchObject({ file: "records/inbox_item.json", record: 0, path: "title" });

    // Over a limit (LIMITS: the API's numbers are the database CHECKs'): the CHECK refuses it, a 422 naming the rule.
    for (const [file, field, limit] of [
      ["records/inbox_item.json", "title", LIMITS.inbox.title],
      ["records/todo.json", "title", LIMITS.todo.title],
    ] as const) {
      const records = json(files.get(file));
      records[0][field] = "x".repeat(limit + 1);
      const long = await importInto(b, await zip(new Map(files).set(file, enc(records))));
      expect(long.status).toBe(422);
      expect(long.body.error.details[0]).toMatchObject({ file, message: expect.stringContaining(`_${field}_length`) });
    }

    const notJson = new Map(files).set("records/todo.json", enc("{oops"));
    expect((await importInto(b, await zip(notJson))).body.error.details[0].message).toMatch(/JSON/);
    const wrongFormat = new Map(files).set("manifest.json", enc({ format: "other", version: 1 }));
    expect((await importInto(b, await zip(wrongFormat))).status).toBe(422);
    const html = json(files.get("records/audio.json"));
    const notAudio = new Map(files).set(
      "records/audio.json",
      enc([
        {
          id: crypto.randomUUID(),
          version: 1,
          created_at: "2026-01-01T00:00:00Z",
          updated_at: "2026-01-01T00:00:00Z",
          filename: "x",
          content_type: "text/html",
          format: "mp3",
          size: 1,
          checksum: "sha256:x",
          duration_s: null,
        },
        ...html,
      ]),
    );
    expect((await importInto(b, await zip(notAudio))).status).toBe(422);
    expect((await importInto(b, new TextEncoder().encode("not a zip"))).status).toBe(422);
    const r415 = await exports.default.fetch(
      new Request(`${BASE}/api/import`, {
        method: "POST",
        headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" },
        body: "{}",
      }),
    );
    expect(r415.status).toBe(415);
    expect(await rowsOf(b.id)).toEqual(before);
  });
});
