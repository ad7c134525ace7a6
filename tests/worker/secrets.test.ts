/**
 * Secrets at rest: bearer tokens (device sessions and personal access tokens)
 * and passwords exist in clear only in the response that hands them out. Every
 * row the database holds for the user — in every table, found from the
 * catalog, so a new table is covered without editing this test — is scanned
 * for them; sessions hold SHA-256 hashes, users a password hash.
 */
import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { as, call, signup } from "../support/api";
import { openOwnerDb } from "../support/db";

const sha256Hex = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

test("tokens, session secrets and the password are stored only as hashes, in every table", async () => {
  const u = await signup();
  const key = (k: string) => ({ "idempotency-key": `${k}-${crypto.randomUUID()}` });
  const login = await call("POST", "/api/auth/login", {
    json: { login: u.username, password: u.password },
    headers: { "cf-connecting-ip": "198.51.100.251", ...key("login") },
  });
  expect(login.status).toBe(200);
  const pat = await as(u).post("/api/auth/tokens", { name: "scanner", scope: "full" }, key("pat"));
  expect(pat.status).toBe(201);
  // Idempotent writes store their responses: make some, so those rows are scanned too.
  expect((await as(u).post("/api/user/inbox", { title: "hello" }, key("inbox"))).status).toBe(201);
  expect((await as({ token: pat.body.token }).get("/api/auth/me")).status).toBe(200);

  const tokens = [u.token, login.body.token as string, pat.body.token as string];
  // A device token is `<user id>.<secret>`: the secret alone must not be there either.
  const secrets = [...tokens, ...tokens.map((t) => t.split(".").at(-1)!), u.password];
  for (const s of secrets) expect(s.length).toBeGreaterThanOrEqual(16);

  const handle = openOwnerDb();
  try {
    const tables = (
      await handle.db.execute(sql`
        select table_name from information_schema.columns
        where table_schema = 'public' and column_name = 'user_id'`)
    ).rows.map((r: any) => r.table_name as string);
    expect(tables).toEqual(expect.arrayContaining(["sessions", "idempotency_keys", "inbox_items"]));
    const dump: Record<string, string[]> = {};
    for (const t of [...tables, "users"]) {
      const who = t === "users" ? sql`id` : sql`user_id`;
      const rows = await handle.db.execute(
        sql`select row_to_json(x)::text as j from ${sql.identifier(t)} x where ${who} = ${u.id}`,
      );
      dump[t] = rows.rows.map((r: any) => r.j as string);
    }
    expect(dump.sessions).toHaveLength(3);
    expect(dump.idempotency_keys!.length).toBeGreaterThan(0);
    for (const [table, rows] of Object.entries(dump))
      for (const s of secrets)
        expect(
          rows.some((r) => r.includes(s)),
          `${table} holds a secret in clear`,
        ).toBe(false);

    const hashes = (await handle.db.execute(sql`select token_hash from sessions where user_id = ${u.id}`)).rows.map(
      (r: any) => r.token_hash,
    );
    expect(hashes.sort()).toEqual((await Promise.all(tokens.map(sha256Hex))).sort());
  } finally {
    await handle.close();
  }
});
