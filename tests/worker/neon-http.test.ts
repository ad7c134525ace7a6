/**
 * Fidelity of the local stand-in for Neon's SQL-over-HTTP endpoint
 * (scripts/sql-over-http.ts): the driver's HTTP path, inside workerd, must
 * give what its WebSocket path gives against the same Postgres — values,
 * types, errors and their SQLSTATEs, transactions — and the app must map
 * failures to the same AppErrors on both. (Outage → 503 → recovery over the
 * HTTP path is in outage.test.ts, which owns the outage cluster.)
 */
import { env } from "cloudflare:workers";
import { neon, Pool } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { configureDriver } from "../../db/client";
import { isDatabaseUnavailable, uniqueViolation } from "../../workers/errors";
import { as, signup } from "../support/api";
import { openOwnerDb, ownerEnv } from "../support/db";

const url = ownerEnv.DATABASE_URL;
configureDriver(env);
const http = neon(url, { fullResults: true });
const table = `fidelity_${crypto.randomUUID().replaceAll("-", "")}`;

const newPool = () => {
  const pool = new Pool({ connectionString: url });
  pool.on("error", () => {}); // an idle connection closed at pool.end()
  return pool;
};

/** The same statement on both paths of the driver, inside workerd. */
async function both(text: string, params: unknown[] = []) {
  const pool = newPool();
  try {
    const ws = await pool.query(text, params);
    const viaHttp = await http.query(text, params);
    return { ws, http: viaHttp };
  } finally {
    await pool.end();
  }
}

async function errorOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the statement to fail");
}

beforeAll(async () => {
  await http.query(`create table ${table} (id int primary key, note text not null check (note <> ''))`);
});
afterAll(async () => {
  await http.query(`drop table if exists ${table}`);
});

describe("values and types round-trip as on the WebSocket path", () => {
  test("timestamptz, jsonb, bigint, arrays, bytea, numeric, uuid, boolean, NULLs", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const params = [
      "2026-12-01T07:29:48.123Z",
      JSON.stringify({ a: [1, "two", null], nested: { ok: true }, ü: "ß" }),
      "9007199254740993", // beyond 2^53: must stay exact
      ["a", "b,c", 'quote"d', "", null],
      [1, 2, 3],
      bytes,
      "12345678901234567890.0123456789",
      "6f1c2a4e-9b1d-4c3e-8a2f-0123456789ab",
      true,
      null,
    ];
    const { ws, http: h } = await both(
      `select $1::timestamptz as at, $2::jsonb as doc, $3::int8 as big, $4::text[] as texts, $5::int[] as ints,
              $6::bytea as bytes, $7::numeric as num, $8::uuid as id, $9::boolean as flag, $10::text as nothing,
              null::jsonb as no_doc, array[]::text[] as empty, now() - now() as zero_interval`,
      params,
    );
    expect(h.rows).toEqual(ws.rows);
    expect(h.fields.map((f) => [f.name, f.dataTypeID])).toEqual(ws.fields.map((f) => [f.name, f.dataTypeID]));
    const row = h.rows[0]!;
    expect(row.doc).toEqual({ a: [1, "two", null], nested: { ok: true }, ü: "ß" });
    expect(row.big).toBe("9007199254740993");
    expect(row.texts).toEqual(["a", "b,c", 'quote"d', "", null]);
    expect(row.ints).toEqual([1, 2, 3]);
    expect(new Uint8Array(row.bytes)).toEqual(bytes);
    expect(row.nothing).toBeNull();
    expect(row.no_doc).toBeNull();
    expect(row.empty).toEqual([]);
    expect(new Date(row.at).toISOString()).toBe("2026-12-01T07:29:48.123Z");
  });

  test("command, rowCount and rows of writes, and zero-row results", async () => {
    const { ws, http: h } = await both(
      `with x as (insert into ${table} values (1, 'one'), (2, 'two') on conflict (id) do update set note = excluded.note returning id)
       select count(*)::int as n from x`,
    );
    expect(h.rows).toEqual(ws.rows);
    const upd = await http.query(`update ${table} set note = note || '!' where id > $1`, [0]);
    expect([upd.command, upd.rowCount, upd.rows]).toEqual(["UPDATE", 2, []]);
    const none = await both(`select id from ${table} where id < 0`);
    expect(none.http.rows).toEqual([]);
    expect(none.http.fields.map((f) => f.name)).toEqual(["id"]);
  });

  test("drizzle over the app's handle: the HTTP path and an interactive transaction read the same row", async () => {
    const handle = openOwnerDb();
    try {
      const q = sql`select ${"x"}::text as t, ${new Date("2026-01-02T03:04:05.678Z")}::timestamptz as at, ${JSON.stringify({ k: [1] })}::jsonb as j`;
      const viaHttp = await handle.db.execute(q);
      const viaWs = await handle.db.transaction((tx) => tx.execute(q));
      expect(viaHttp.rows).toEqual(viaWs.rows);
      expect(handle.connections()).toBe(1); // only the transaction opened a WebSocket
    } finally {
      await handle.close();
    }
  });
});

describe("errors carry SQLSTATE codes and map to the same AppErrors", () => {
  test("Postgres errors: code, constraint, detail and message as the WebSocket path reports them", async () => {
    const pool = newPool();
    try {
      for (const [text, code] of [
        [`insert into ${table} values (1, 'dup')`, "23505"],
        [`insert into ${table} values (3, '')`, "23514"],
        [`insert into ${table} values (4, null)`, "23502"],
        ["select 1/0", "22012"],
        ["select * from no_such_table_here", "42P01"],
        ["selec 1", "42601"],
      ] as const) {
        const a = await errorOf(pool.query(text));
        const b = await errorOf(http.query(text));
        expect(b.code, text).toBe(code);
        expect([b.code, b.constraint, b.detail, b.message, b.table], text).toEqual([
          a.code,
          a.constraint,
          a.detail,
          a.message,
          a.table,
        ]);
      }
      const dup = await errorOf(http.query(`insert into ${table} values (1, 'dup')`));
      expect(uniqueViolation(dup)).toBe(`${table}_pkey`);
      expect(isDatabaseUnavailable(dup)).toBe(false);
    } finally {
      await pool.end();
    }
  });

  test("like Neon's proxy, one statement per query; a batch is one transaction, rolled back on error", async () => {
    const multi = await errorOf(http.query("select 1; select 2"));
    expect(multi.code).toBe("42601");
    const failed = await errorOf(
      http.transaction([http.query(`insert into ${table} values (10, 'ten')`), http.query("select 1/0")]),
    );
    expect(failed.code).toBe("22012");
    expect((await http.query(`select * from ${table} where id = 10`)).rows).toEqual([]);
    const ro = await errorOf(http.transaction([http.query(`delete from ${table}`)], { readOnly: true }));
    expect(ro.code).toBe("25006");
    const [a, b] = await http.transaction(
      [
        http.query(`insert into ${table} values (11, 'eleven') returning id`),
        http.query(`select count(*)::int as n from ${table} where id = 11`),
      ],
      { isolationLevel: "Serializable" },
    );
    expect([a!.rows, b!.rows]).toEqual([[{ id: 11 }], [{ n: 1 }]]);
  });

  test("the app maps a unique violation to the same 409 on the HTTP path (focus) and in a transaction (signup)", async () => {
    const u = await signup();
    expect((await as(u).post("/api/focus/sessions", { duration_s: 600 })).status).toBe(201);
    const again = await as(u).post("/api/focus/sessions", { duration_s: 600 });
    expect([again.status, again.body.error.code]).toEqual([409, "focus_session_running"]);
    const taken = await as(u).post("/api/auth/signup", {
      email: `other-${u.email}`,
      username: u.username,
      password: "0123456789ab",
    });
    expect(taken.status).toBe(409);
  });
});
