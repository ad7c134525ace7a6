/** GET /api/export: the archive holds every record of the user (as the change feed has them) and their audio. */
import { exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { recordOrder } from "../../workers/data/export";
import { entities, type EntityName } from "../../workers/protocol/registry";
import { as, BASE, call, signup, type TestUser } from "../support/api";
import { checkResponse } from "../support/contract";
import { populate } from "../support/account";
import { readArchive } from "../support/archive";
import { dbRows } from "../support/db";
import { wav } from "../support/audio";

const json = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

/** The user's records as a pull of the change feed from the start has them (the latest upsert per record). */
async function feedSnapshot(u: TestUser) {
  const latest = new Map<string, any>();
  let cursor: string | undefined;
  for (;;) {
    const r = await as(u).get(`/api/sync/changes?limit=1000${cursor ? `&since=${cursor}` : ""}`);
    for (const ch of r.body.changes) latest.set(`${ch.entity}:${ch.id}`, ch);
    cursor = r.body.cursor;
    if (!r.body.has_more) break;
  }
  const out = new Map<string, any[]>();
  for (const ch of latest.values()) {
    if (ch.op !== "upsert") continue;
    if (!out.has(ch.entity)) out.set(ch.entity, []);
    out.get(ch.entity)!.push(ch.data);
  }
  return out;
}

const byId = (list: any[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));

describe("export", () => {
  const exportOf = async (u: TestUser) => {
    const res = await exports.default.fetch(
      new Request(`${BASE}/api/export`, { headers: { authorization: `Bearer ${u.token}` } }),
    );
    await checkResponse("GET", "/api/export", res, null);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="continuum-.+\.zip"$/);
    return { res, raw: await res.arrayBuffer() };
  };

  test("every record of every type, equal to the change feed's snapshot, and nothing of anyone else", async () => {
    const [u, other] = [await signup(), await signup()];
    const made = await populate(u, other);
    const { raw } = await exportOf(u);
    const files = await readArchive(raw);
    const names = [...files.keys()];

    const manifest = json(files.get("manifest.json"));
    expect(names[0]).toBe("manifest.json");
    expect(manifest).toMatchObject({
      format: "continuum-export",
      version: 2,
      user: { id: u.id, username: u.username },
    });
    // One file per record type of the registry, in dependency order, each documented by a schema of the API document.
    expect(manifest.records.map((r: any) => r.entity).sort()).toEqual(Object.keys(entities).sort());
    expect(manifest.records.map((r: any) => r.entity)).toEqual(recordOrder());
    const document = (await call("GET", "/api/openapi.json")).body;
    for (const r of manifest.records) {
      expect(names).toContain(r.file);
      expect(document.components.schemas[r.schema.replace("#/components/schemas/", "")], r.schema).toBeDefined();
    }
    // Parents come before the records that point at them.
    const at = (e: string) => manifest.records.findIndex((r: any) => r.entity === e);
    expect(at("conversation")).toBeLessThan(at("tool_call"));
    expect(at("tool_call")).toBeLessThan(at("message"));
    expect(at("focus_library")).toBeLessThan(at("focus_track"));
    expect(at("audio")).toBeLessThan(at("reference"));

    const snapshot = await feedSnapshot(u);
    for (const r of manifest.records) {
      const records = json(files.get(r.file));
      const entity = r.entity as EntityName;
      for (const rec of records) expect(() => entities[entity].schema.parse(rec), entity).not.toThrow();
      expect(byId(records), entity).toEqual(byId(snapshot.get(entity) ?? []));
    }
    // Something of every domain is in it (the fixture filled them), and only the user's own.
    for (const e of [
      "inbox_item",
      "audio",
      "focus_track",
      "reference",
      "todo",
      "message",
      "tool_call",
      "loop",
      "loop_like",
      "song",
    ])
      expect(json(files.get(`records/${e}.json`)).length, e).toBeGreaterThan(0);
    const loops = json(files.get("records/loop.json"));
    expect(loops.map((l: any) => l.id).sort()).toEqual([made.loop.id, made.myRemix.id].sort());
    expect(loops.every((l: any) => l.owner.id === u.id)).toBe(true);
    expect(json(files.get("records/loop_like.json")).map((l: any) => l.loop_id)).toEqual([made.theirs.id]);

    // The audio bytes, exactly as uploaded.
    expect(files.get(`audio/${made.audio.id}.wav`)).toEqual(wav(1));
    expect(names.filter((n) => n.startsWith("audio/"))).toHaveLength(1);

    // A well-formed ZIP: the end record counts every entry, and the central directory sits where it says.
    const v = new DataView(raw, raw.byteLength - 22);
    expect(v.getUint32(0, true)).toBe(0x06054b50);
    expect(v.getUint16(10, true)).toBe(files.size);
    expect(new DataView(raw, v.getUint32(16, true)).getUint32(0, true)).toBe(0x02014b50);
  });

  test("pages through a large collection in key order (the first page, then two full later pages and a partial one)", async () => {
    const u = await signup();
    await dbRows(sql`insert into inbox_items (id, user_id, title)
      select gen_random_uuid(), ${u.id}, 'item ' || n from generate_series(1, 4600) n`);
    const files = await readArchive((await exportOf(u)).raw);
    const items = json(files.get("records/inbox_item.json"));
    expect(items).toHaveLength(4600);
    expect(new Set(items.map((i: any) => i.id)).size).toBe(4600);
    expect(items.map((i: any) => i.id)).toEqual(items.map((i: any) => i.id).sort());
    // One record per line, so the file may also be read line by line.
    const lines = new TextDecoder().decode(files.get("records/inbox_item.json")).trim().split("\n");
    expect(lines).toHaveLength(4600 + 2);
  });

  test("a small account's export is one database round trip, session check included", async () => {
    const u = await signup();
    await as(u).post("/api/user/inbox", { title: "one" });
    const { res, raw } = await exportOf(u);
    expect(res.headers.get("x-db-queries")).toBe("1");
    expect(json((await readArchive(raw)).get("records/inbox_item.json"))).toHaveLength(1);
  });

  test("needs a session", async () => {
    expect((await call("GET", "/api/export")).status).toBe(401);
  });
});
