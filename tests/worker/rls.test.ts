/**
 * Issue 19, "prove it cannot regress": row-level security is in Postgres, on
 * every table that holds a user_id (found in pg_catalog, not listed by hand),
 * and it holds with the application's own filters out of the way: raw SQL as
 * the Worker's role under user B's context reads, changes and adds nothing of
 * user A's, for every table (so every record type of the registry).
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { openDb, type DbHandle } from "../../db/client";
import { entities } from "../../workers/protocol/registry";
import { as, call, signup, type TestUser } from "../support/api";
import { uploadAudio, wav } from "../support/audio";
import { openOwnerDb } from "../support/db";

beforeAll(() => call("GET", "/api/health"), 120_000);

type Row = Record<string, unknown>;
async function withHandle<T>(handle: DbHandle, fn: (h: DbHandle) => Promise<T>): Promise<T> {
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}
const rows = async (h: DbHandle, q: ReturnType<typeof sql>) => (await h.db.execute(q)).rows as Row[];
const owner = <T>(fn: (h: DbHandle) => Promise<T>) => withHandle(openOwnerDb(), fn);
/** The Worker's own database role (env.DATABASE_URL), as user `id` — or with no user at all. */
const worker = <T>(id: string | null, fn: (h: DbHandle) => Promise<T>) => {
  const h = openDb(env);
  if (id) h.actAs(id);
  return withHandle(h, fn);
};

/** Every table in `public` with a user_id column, and what protects it. */
async function userTables() {
  return owner((h) =>
    rows(
      h,
      sql`select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced, c.relispartition as partition,
            pg_get_userbyid(c.relowner) as owner,
            coalesce((select array_agg(p.polname order by p.polname) from pg_policy p
                      where p.polrelid = c.oid and 'continuum_app'::regrole = any(p.polroles)), '{}') as app_policies,
            coalesce((select array_agg(p.polname order by p.polname) from pg_policy p
                      where p.polrelid = c.oid and 'continuum_jobs'::regrole = any(p.polroles)), '{}') as jobs_policies
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p')
            and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped)
          order by c.relname`,
    ),
  ) as Promise<
    {
      name: string;
      rls: boolean;
      forced: boolean;
      partition: boolean;
      owner: string;
      app_policies: string[];
      jobs_policies: string[];
    }[]
  >;
}

describe("row-level security covers every user-owned table", () => {
  test("each table with a user_id has RLS enabled and forced, the own-rows policy for the Worker and the jobs policy", async () => {
    const tables = await userTables();
    // The schema has 24 such tables today; a new one is checked the moment its migration exists.
    expect(tables.length).toBeGreaterThanOrEqual(24);
    const missing = tables.filter(
      (t) => !t.rls || !t.forced || !t.app_policies.includes("own_rows") || !t.jobs_policies.includes("jobs_all"),
    );
    const fix = missing
      .map(
        (t) =>
          `  ${t.name}: ${[!t.rls && "RLS not enabled", !t.forced && "not FORCEd", !t.app_policies.includes("own_rows") && "no own_rows policy for continuum_app", !t.jobs_policies.includes("jobs_all") && "no jobs_all policy for continuum_jobs"].filter(Boolean).join(", ")}` +
          `\n    → scripts/migrate.ts protects every user table after each run (continuum_protect_user_tables(),` +
          ` 0039_declared_tables.sql): run \`npm run db:migrate\`; a table created outside the migrations needs` +
          `  SELECT continuum_protect('${t.name}');  (docs/ARCHITECTURE.md "Isolation in the database")`,
      )
      .join("\n");
    expect(missing.length, `Tables holding a user_id without row-level security:\n${fix}\n`).toBe(0);
  });

  test("the Worker's role is not the owner, not a superuser, cannot bypass RLS and does not inherit the jobs role", async () => {
    const [me] = await worker(null, (h) =>
      rows(
        h,
        sql`select current_user as name, r.rolsuper as super, r.rolbypassrls as bypass, r.rolinherit as inherit
            from pg_roles r where r.rolname = current_user`,
      ),
    );
    expect(me).toEqual({ name: "continuum_app", super: false, bypass: false, inherit: false });
    const owners = new Set((await userTables()).map((t) => t.owner));
    expect(owners.has("continuum_app")).toBe(false);
  });
});

/** A with at least one row in every registry table (and sessions, keys, uploads, the change log). */
async function richUser(): Promise<TestUser> {
  const a = await signup();
  const api = as(a);
  const ok = (r: { status: number; body: unknown }, what: string) => {
    expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
    return r.body as any;
  };
  ok(await api.post("/api/user/inbox", { title: "A's note" }, { "idempotency-key": crypto.randomUUID() }), "inbox");
  ok(await api.post("/api/focus/sessions", { duration_s: 600 }), "focus");
  const audio = await uploadAudio(a.token, wav(1));
  expect(audio.status).toBe(201);
  const lib = ok(await api.post("/api/focus/libraries", { name: "A's" }), "library");
  ok(await api.post(`/api/focus/libraries/${lib.id}/tracks`, { title: "t", audio_id: audio.body.id }), "track");
  ok(await api.post("/api/references", { title: "A's ref" }), "reference");
  const todo = ok(await api.post("/api/todos", { title: "SECRET" }), "todo");
  ok(await api.put(`/api/todos/${todo.id}`, { title: "SECRET, edited" }), "todo edit (record history)");
  const conv = ok(await api.post("/api/assistant/conversations", {}), "conversation");
  ok(await api.post(`/api/assistant/conversations/${conv.id}/actions/send_message`, { content: "add todo x" }), "send");
  const loop = { name: "A's", bars: 1, bpm: 100, color: "#112233", chord_progression: [], icon_sequence: [] };
  const l = ok(await api.post("/api/studio/loops", loop), "loop");
  ok(await api.put(`/api/studio/loops/${l.id}/like`), "like");
  ok(await api.post(`/api/studio/loops/${l.id}/plays`), "play (a rate_windows row)");
  ok(await api.post("/api/studio/songs", { title: "S", bpm: 90 }), "song");
  const reward = ok(await api.post("/api/market/items", { name: "A's treat", price: 5 }), "reward");
  ok(await api.post("/api/market/purchases", { item_id: reward.id }), "purchase");
  ok(await api.post("/api/audio/uploads", { filename: "x.wav", content_type: "audio/wav", size: 6_000_000 }), "upload");
  // One of every declared record type (workers/protocol/declare.ts), from its sample: a new type is covered by itself.
  for (const r of Object.values(entities)) if ("api" in r) ok(await api.post(r.api.path, r.sample), r.entity);
  return a;
}

describe("as the Worker's role under B's context, with no application filter", () => {
  let a: TestUser;
  let b: TestUser;
  beforeAll(async () => {
    [a, b] = [await richUser(), await signup()];
  }, 120_000);

  test("B reads, updates, deletes and adds nothing of A's in any user-owned table (all registry record types included)", async () => {
    const tables = await userTables();
    const names = tables.map((t) => t.name);
    // Every registry record type lives in one of these tables.
    for (const e of Object.values(entities)) {
      const table = (e.table as unknown as Record<symbol, string>)[Symbol.for("drizzle:Name")];
      expect(names, `registry entity ${e.entity}`).toContain(table);
    }
    // Non-generated columns, per table (what an INSERT may name).
    const columns = await owner((h) =>
      rows(
        h,
        sql`select c.relname as t, array_agg(a.attname::text order by a.attnum) as cols
            from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid
            where n.nspname = 'public' and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            group by c.relname`,
      ),
    );
    const colsOf = new Map(columns.map((r) => [r.t as string, r.cols as string[]]));
    const empty: string[] = [];
    // A partition (record history's days) is read and written through its parent, checked here as any table.
    for (const { name } of tables.filter((t) => !t.partition)) {
      const t = sql.identifier(name);
      const [theirs] = await owner((h) =>
        rows(h, sql`select to_jsonb(x) as row from ${t} x where user_id = ${a.id} limit 1`),
      );
      if (!theirs) {
        empty.push(name);
        continue;
      }
      await worker(b.id, async (h) => {
        expect(await rows(h, sql`select * from ${t} where user_id = ${a.id}`), `${name}: read`).toEqual([]);
        expect(
          (await h.db.execute(sql`update ${t} set user_id = user_id where user_id = ${a.id}`)).rowCount ?? 0,
          `${name}: update`,
        ).toBe(0);
        expect(
          (await h.db.execute(sql`delete from ${t} where user_id = ${a.id}`)).rowCount ?? 0,
          `${name}: delete`,
        ).toBe(0);
        // A copy of A's row (a fresh id where there is one) is refused: it would be A's.
        const cols = colsOf.get(name)!;
        const list = sql.join(
          cols.map((c) => sql.identifier(c)),
          sql`, `,
        );
        const values = { ...(theirs.row as Row), ...("id" in (theirs.row as Row) ? { id: crypto.randomUUID() } : {}) };
        const err = await h.db
          .execute(
            sql`insert into ${t} (${list}) select ${list} from jsonb_populate_record(null::${t}, ${JSON.stringify(values)}::jsonb)`,
          )
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(codeOf(err), `${name}: insert as A`).toBe("42501");
      });
      // Not vacuous: the jobs role (and A) do see the row.
      await withHandle(openDb(env), async (h) => {
        h.asJobs();
        expect((await rows(h, sql`select 1 from ${t} where user_id = ${a.id} limit 1`)).length, `${name}: jobs`).toBe(
          1,
        );
      });
      await worker(a.id, async (h) => {
        expect((await rows(h, sql`select 1 from ${t} where user_id = ${a.id} limit 1`)).length, `${name}: owner`).toBe(
          1,
        );
      });
    }
    // Only tables A can't fill through the API in a test (plays arrive through the queue) may be empty.
    for (const name of empty) expect(["loop_plays"], `A has no row in ${name}`).toContain(name);
  });

  test("the feed's and the snapshot's page functions (0047, 0048) run as their caller: B gets none of A's log", async () => {
    for (const page of [
      sql`select seq from continuum_changes_after(${a.id}::uuid, 0, 10)`,
      sql`select seq from continuum_changes_before(${a.id}::uuid, 9223372036854775807, 0, 10)`,
    ]) {
      expect(await worker(b.id, (h) => rows(h, page))).toEqual([]);
      expect((await worker(a.id, (h) => rows(h, page))).length).toBeGreaterThan(0);
    }
  });

  test("without a user context the Worker's role sees no user-owned row at all", async () => {
    for (const { name } of await userTables()) {
      const found = await worker(null, (h) =>
        rows(h, sql`select 1 from ${sql.identifier(name)} where user_id = ${a.id} limit 1`),
      );
      expect(found, name).toEqual([]);
    }
  });

  test("explicit public reads: A's public loop and the catalog, nothing else of A's", async () => {
    const pub = await as(a).post("/api/studio/loops", {
      name: "A's public",
      bars: 1,
      bpm: 100,
      color: "#445566",
      chord_progression: [],
      icon_sequence: [],
      visibility: "public",
    });
    expect(pub.status).toBe(201);
    await worker(b.id, async (h) => {
      const loops = await rows(h, sql`select id, visibility from loops where user_id = ${a.id}`);
      expect(loops).toEqual([{ id: pub.body.id, visibility: "public" }]);
      // …readable, not writable.
      expect(
        (await h.db.execute(sql`update loops set name = 'B was here' where id = ${pub.body.id}`)).rowCount ?? 0,
      ).toBe(0);
      expect((await rows(h, sql`select 1 from market_items where user_id is null`)).length).toBeGreaterThan(0);
      expect(await rows(h, sql`select 1 from market_items where user_id = ${a.id}`)).toEqual([]);
    });
  });
});

const codeOf = (err: unknown): string | undefined => {
  for (let e: unknown = err, d = 0; e && d < 5; e = (e as { cause?: unknown }).cause, d++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
};
