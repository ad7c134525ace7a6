/**
 * Every limit tested at the boundary itself, generated from the limits as the
 * API documents them (GET /api/openapi.json, built from LIMITS in
 * workers/protocol/rules.ts): for each create operation below and each of its
 * body fields with a length, count or range limit, the value at the limit is
 * accepted and one past it is refused with 422 and nothing written — username
 * 32/33, an inbox title 500/501, a loop's bpm 300/301, 20/21 tags, and so on.
 * The Idempotency-Key header likewise: 1 and 255 characters pass, 256 → 400.
 */
import { describe, expect, test } from "vitest";
import { as, call, signup, unique, type TestUser } from "../support/api";
import { openapiDocument, type Operation, operations } from "../support/contract";

type Json = any;

/** A valid body for each create operation; a case changes one field of it. */
const BASE: Record<string, () => Record<string, unknown>> = {
  "POST /api/auth/signup": () => ({
    email: `${unique("b")}@example.test`,
    username: unique("b").toLowerCase().slice(0, 20),
    password: "correct horse battery",
  }),
  "POST /api/user/inbox": () => ({ title: "t" }),
  "POST /api/focus/sessions": () => ({ duration_s: 600 }),
  "POST /api/focus/libraries": () => ({ name: "n" }),
  "POST /api/references": () => ({ title: "t" }),
  "POST /api/studio/loops": () => ({ name: "n", bars: 1, bpm: 90, color: "#000000" }),
  "POST /api/studio/songs": () => ({ title: "t", bpm: 90 }),
  "POST /api/market/items": () => ({ name: "n", price: 5 }),
  "POST /api/todos": () => ({ title: "t" }),
  "POST /api/assistant/conversations": () => ({}),
  "POST /api/auth/tokens": () => ({ name: "n" }),
};

/** Fields whose limit is reached only with another field set: the loop's chords cap at bars × 4. */
const WITH: Record<string, Record<string, unknown>> = {
  "POST /api/studio/loops chord_progression": { bars: 8 },
};

interface Case {
  name: string;
  op: string;
  field: string;
  value: unknown;
  ok: boolean;
}

const rand = (chars: string, n: number) =>
  Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)]).join("");

/** A string of exactly `n` characters that satisfies the field's format or pattern (null: can't build one). */
function stringOf(p: Json, n: number): string | null {
  if (p.format === "uri") return n < 16 ? null : `https://e.test/${"a".repeat(n - 15)}`;
  if (p.format === "email") {
    // local part ≤ 64, labels ≤ 63: `<64>@<63>.<63>.<rest>.test`
    const rest = n - 65 - 128 - 5;
    return rest < 1
      ? null
      : `${rand("abcdefghij", 10)}${"a".repeat(54)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(rest)}.test`;
  }
  if (p.format) return null;
  if (p.pattern) {
    const cls = /^\^\[([^\]]+)\]\{\d+,\d+\}\$$/.exec(p.pattern)?.[1];
    const alphabet = cls === "a-z0-9_" ? "abcdefghijklmnopqrstuvwxyz0123456789" : null;
    return alphabet ? rand(alphabet, n) : null;
  }
  return "x".repeat(n);
}

/** Items for an array of `n`: distinct plain strings, or a fixed value that fits the item pattern. */
function itemsOf(items: Json, n: number): unknown[] | null {
  if (items?.type !== "string") return null;
  if (items.pattern) return new RegExp(items.pattern).test("C") ? Array(n).fill("C") : null;
  return Array.from({ length: n }, (_, i) => `t${i}`);
}

function casesFor(key: string, schema: Json): Case[] {
  const out: Case[] = [];
  const add = (field: string, value: unknown, ok: boolean, what: string) =>
    value !== null && out.push({ name: `${key} ${field} ${what}`, op: key, field, value, ok });
  for (const [field, p] of Object.entries<Json>(schema.properties ?? {})) {
    if (p.type === "string") {
      const range = p.pattern ? /\{(\d+),(\d+)\}\$$/.exec(p.pattern) : null;
      const max = p.maxLength ?? (range ? Number(range[2]) : undefined);
      const min = p.minLength ?? (range ? Number(range[1]) : undefined);
      if (max !== undefined) {
        add(field, stringOf(p, max), true, `${max}`);
        add(field, stringOf(p, max + 1), false, `${max + 1}`);
      }
      if (min !== undefined && min > 0) {
        add(field, stringOf(p, min), true, `${min}`);
        add(field, min - 1 === 0 ? "" : stringOf(p, min - 1), false, `${min - 1}`);
      }
    } else if (p.type === "array" && p.maxItems !== undefined) {
      add(field, itemsOf(p.items, p.maxItems), true, `${p.maxItems} items`);
      add(field, itemsOf(p.items, p.maxItems + 1), false, `${p.maxItems + 1} items`);
    } else if (p.type === "integer" || p.type === "number") {
      if (p.maximum !== undefined) {
        add(field, p.maximum, true, `= ${p.maximum}`);
        add(field, p.type === "integer" ? p.maximum + 1 : p.maximum + 0.001, false, `> ${p.maximum}`);
      }
      if (p.minimum !== undefined) {
        add(field, p.minimum, true, `= ${p.minimum}`);
        add(field, p.type === "integer" ? p.minimum - 1 : p.minimum - 0.001, false, `< ${p.minimum}`);
      }
    }
  }
  return out;
}

const doc = await openapiDocument();
const ops = await operations();
const resolve = (s: Json) => (s?.$ref ? doc.components.schemas[s.$ref.split("/").pop()] : s);
const cases = Object.keys(BASE).flatMap((key) => {
  const op = ops.find((o) => `${o.method} ${o.template}` === key);
  if (!op) throw new Error(`${key} is not in /api/openapi.json`);
  return casesFor(key, resolve(op.op.requestBody.content["application/json"].schema));
});

async function send(user: TestUser, c: { op: string }, body: unknown, headers: Record<string, string> = {}) {
  const [method, path] = c.op.split(" ") as [string, string];
  if (path === "/api/auth/signup")
    return call(method, path, {
      json: body,
      headers: { "cf-connecting-ip": `203.0.113.${1 + Math.floor(Math.random() * 250)}` },
    });
  return call(method, path, { token: user.token, json: body, headers });
}

describe("limits at the boundary, from the document", () => {
  test("the limits named in the issue are among the generated cases", () => {
    const names = cases.map((c) => c.name);
    for (const n of [
      "POST /api/auth/signup username 32",
      "POST /api/auth/signup username 33",
      "POST /api/user/inbox title 500",
      "POST /api/user/inbox title 501",
      "POST /api/user/inbox tags 21 items",
      "POST /api/studio/loops bpm > 300",
      "POST /api/focus/sessions duration_s < 60",
    ])
      expect(names).toContain(n);
    expect(cases.length).toBeGreaterThan(60);
  });

  let user: TestUser;
  test.for(cases)("$name → $ok", async (c) => {
    user ??= await signup();
    const before = (await as(user).get("/api/sync/changes?limit=1000")).body.cursor;
    const r = await send(user, c, { ...BASE[c.op]!(), ...WITH[`${c.op} ${c.field}`], [c.field]: c.value });
    if (c.ok) {
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      // One running focus session at a time: end this one so the next case can start its own.
      if (c.op === "POST /api/focus/sessions")
        expect((await as(user).post(`/api/focus/sessions/${r.body.id}/abandon`)).status).toBe(200);
    } else {
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error.code).toBe("validation_failed");
      expect((await as(user).get("/api/sync/changes?limit=1000")).body.cursor).toBe(before);
    }
  });

  test("Idempotency-Key: the document's 1 and 255 characters pass; empty and 256 → 400, declared on every idempotent operation", async () => {
    const u = await signup();
    const param = ops
      .find((o: Operation) => o.method === "POST" && o.template === "/api/user/inbox")!
      .op.parameters.find((p: Json) => p.name === "idempotency-key").schema;
    expect(param).toMatchObject({ minLength: 1, maxLength: 255 });
    // Below the minimum (an empty key) → 400 on every idempotent operation, and the document says so
    // (support/contract.ts fails a status it doesn't declare) — also where 400 means nothing else.
    for (const [method, path] of [
      ["POST", "/api/user/inbox"],
      ["DELETE", `/api/audio/uploads/${crypto.randomUUID()}`],
      ["POST", "/api/auth/sessions/revoke_others"],
    ] as const) {
      const r = await call(method, path, { token: u.token, json: {}, headers: { "idempotency-key": "" } });
      expect(r.status, `${method} ${path}`).toBe(400);
    }
    for (const [n, status] of [
      [param.minLength, 201],
      [param.maxLength, 201],
      [param.maxLength + 1, 400],
    ] as const) {
      const key = rand("abcdefghijklmnopqrstuvwxyz", n);
      const r = await as(u).post("/api/user/inbox", { title: `key ${n}` }, { "idempotency-key": key });
      expect(r.status, `${n} characters`).toBe(status);
      if (status === 400) expect(r.body.error.code).toBe("invalid_idempotency_key");
      // The key works as a key: the same request again is a replay, not a second item.
      else
        expect((await as(u).post("/api/user/inbox", { title: `key ${n}` }, { "idempotency-key": key })).body.id).toBe(
          r.body.id,
        );
    }
  });
});
