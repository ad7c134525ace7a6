/**
 * POST /api/import: an export archive (data/export.ts) restored into the
 * signed-in account, read front to back as it arrives (README, "Your data").
 *
 *  1. `manifest.json` must name the format and a version we read.
 *  2. The record files: each record is checked against
 *     its wire schema (and then the database's constraints); anything wrong →
 *     422 with the file, record and field, and nothing is written. Records
 *     keep their ids (ids are per user) except where an id is unique across
 *     users (loops, custom rewards): unless the record is already this
 *     user's, it gets a new id derived from (user, old id), and every
 *     reference follows.
 *     Existing records are left as they are (`on conflict do nothing`).
 *     All or nothing either way: record files of up to BUFFERED_RECORD_BYTES
 *     in all are read whole, then written in ONE non-interactive batch (2
 *     round trips with the reads; `importArchive`); a larger archive goes
 *     through one interactive transaction, a file at a time.
 *  3. The audio bytes, one entry at a time, streamed to R2 and sniffed again.
 *
 * Idempotent and resumable by construction: the same archive always yields
 * the same ids, so a repeat or a retry after a failure part-way skips what is
 * there (records, and audio whose bytes are already in R2) and does the rest.
 */
import { eq, getTableColumns, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { z } from "zod";
import { getTableConfig, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import { batch, type Db } from "../../db/client";
import { audioFiles } from "../../db/schema";
import { AppError, pgError } from "../errors";
import { nameUuid } from "../lib/crypto";
import { findUnstorable } from "../protocol/common";
import { ZipError, type ZipReader } from "../lib/zip";
import { entities, type EntityName, hasValues, isEntity, rowFromRaw } from "../protocol/registry";
import { ErrorCode, LIMITS } from "../protocol/rules";
import type { Scope } from "../sync/scope";
import type { Writer } from "../sync/write";
import { checkQuota, streamToR2 } from "./audio";
import { EXPORT_FORMAT, IMPORT_VERSIONS } from "../protocol/your-data";
import { keyColumn, propOf, recordOrder } from "./export";
import { IMPORT_RULES, wireToRow, type Row } from "./import-rules";

/** A record file is parsed whole (one at a time); audio is streamed. */
export const MAX_RECORD_FILE_BYTES = 32 * 1024 * 1024;
const BATCH = 100;

export interface ImportReport {
  /** Records written now, per type. */
  imported: Record<string, number>;
  /** Records already there (a repeated or resumed import), per type. */
  existing: Record<string, number>;
  /** Types or records not imported, with why. */
  skipped: Record<string, { count: number; reason: string }>;
  /** Records that got a new id (theirs is held by another user), per type. */
  remapped: Record<string, number>;
  audio: { stored: number; already_stored: number; without_record: number };
}

type Issue = { file: string; record?: number; path?: string; message: string };
const invalid = (issues: Issue[]) =>
  new AppError(422, ErrorCode.invalid_archive, "The archive's content is not valid.", { details: issues.slice(0, 20) });

/** A deterministic id for a record whose id another user holds: the same archive, the same new ids. */
export const remapId = (userId: string, id: string): Promise<string> => nameUuid(`${userId}:${id}`, 8); // version 8: a custom UUID

/** Tables whose `id` is unique across users (not only per user). */
const globalIds = (table: PgTable) => {
  const c = getTableConfig(table);
  const onlyId = (cols: PgColumn[]) => cols.length === 1 && cols[0]!.name === "id";
  return (
    c.columns.some((col) => col.name === "id" && (col.primary || col.isUnique)) ||
    c.primaryKeys.some((k) => onlyId(k.columns)) ||
    c.uniqueConstraints.some((u) => onlyId(u.columns))
  );
};

let tables: Set<PgTable> | undefined;
const recordTables = () => (tables ??= new Set<PgTable>(Object.values(entities).map((e) => e.table)));

/** A table's single-column foreign keys to the id of a record table with global ids: [column, target]. */
const globalRefs = (table: PgTable): [PgColumn, PgTable][] =>
  getTableConfig(table)
    .foreignKeys.map((fk) => fk.reference())
    .filter(
      (r) =>
        r.columns.length === 1 &&
        r.foreignColumns[0]!.name === "id" &&
        recordTables().has(r.foreignTable) &&
        globalIds(r.foreignTable),
    )
    .map((r) => [r.columns[0]!, r.foreignTable]);

/**
 * How an import pass reaches the database: `read` runs (or collects) a read, `log` runs (or
 * queues) a logged write whose rows go to `took` — at once inside the streamed transaction, after
 * the one batch in the buffered path.
 */
interface ImportIo {
  read(q: SQL): Promise<Row[]>;
  log(entity: EntityName, statement: SQLWrapper, took?: (rows: Row[]) => void): Promise<void>;
  /** The confirmed user's audio quota, or undefined while only collecting the reads. */
  quota?: number;
}

/** The same `ImportIo` inside the streamed import's open transaction. */
const writerIo = (w: Writer, quota: number): ImportIo => ({
  read: async (q) => (await w.db.execute(q)).rows as Row[],
  log: async (entity, statement, took) => took?.((await w.log(entity, "upsert", statement)) as Row[]),
  quota,
});

class Importer {
  readonly report: ImportReport = {
    imported: {},
    existing: {},
    skipped: {},
    remapped: {},
    audio: { stored: 0, already_stored: 0, without_record: 0 },
  };
  /** Per table with global ids: the archive's ids → the ids they got. */
  private readonly ids = new Map<PgTable, Map<string, string>>();
  /** Audio in the archive: id → where its bytes go and how many there are. */
  readonly audio = new Map<string, { key: string; size: number }>();
  /** Per record type: the (final) ids of the archive's records, for the types' `after` rules. */
  private readonly seen = new Map<EntityName, string[]>();

  constructor(
    private readonly userId: string,
    private readonly username: string,
    /** Builds the statements (drizzle needs a database object for that; they run through `io`). */
    private readonly db: Db,
  ) {}

  /** The id a reference to `id` in `table` now points at (itself unless remapped). */
  idFor(table: PgTable, id: string) {
    return this.ids.get(table)?.get(id) ?? id;
  }

  validate(entity: EntityName, file: string, records: unknown): Row[] {
    if (!Array.isArray(records)) throw invalid([{ file, message: "must be a JSON array of records" }]);
    const issues: Issue[] = [];
    const schema = entities[entity].schema;
    const check = IMPORT_RULES[entity]?.check;
    records.forEach((rec, record) => {
      const parsed = schema.safeParse(rec);
      if (!parsed.success)
        for (const i of parsed.error.issues) issues.push({ file, record, path: i.path.join("."), message: i.message });
      const bad = findUnstorable(rec);
      if (bad) issues.push({ file, record, path: bad.path, message: bad.message });
      const long = JSON.stringify(rec).length > LIMITS.reference.content * 2;
      if (long) issues.push({ file, record, message: "record too large" });
      const why = parsed.success ? check?.(rec as Row) : undefined;
      if (why) issues.push({ file, record, message: why });
    });
    if (issues.length) throw invalid(issues);
    return records as Row[];
  }

  async apply(io: ImportIo, entity: EntityName, file: string, records: Row[]): Promise<void> {
    const rule = IMPORT_RULES[entity];
    if (rule?.skip) {
      if (records.length) this.report.skipped[entity] = { count: records.length, reason: rule.skip };
      return;
    }
    const table = entities[entity].table;
    let rows = records.map((r) =>
      wireToRow(entity, r, this.userId, { username: this.username, idFor: (t, id) => this.idFor(t, id) }),
    );
    if (rule?.singleton) {
      const row = rows[0];
      if (!row) return;
      // Only when something differs: a repeated import leaves the record (and its version) alone.
      const [raw] = await io.read(sql`select * from ${table} where user_id = ${this.userId}`);
      const same = raw !== undefined && hasValues(rowFromRaw(entity, raw), row);
      if (!same) {
        const t = table as unknown as { version: PgColumn; userId: PgColumn };
        const update = (this.db as any)
          .update(table)
          .set({ ...row, version: sql`${t.version} + 1`, updatedAt: sql`now()` })
          .where(eq(t.userId, this.userId))
          .returning();
        await io.log(entity, update);
      }
      this.count(same ? "existing" : "imported", entity, 1);
      return;
    }
    if (globalIds(table)) await this.remap(io, entity, table, rows);
    rows = await this.follow(io, entity, table, rows);
    if (entity === "audio") await this.placeAudio(io, rows);
    const key = keyColumn(table);
    const prop = propOf(table, key);
    this.seen.set(entity, [...(this.seen.get(entity) ?? []), ...rows.map((r) => String(r[prop]))]);
    const returning =
      "version" in getTableColumns(table) ? sql`*` : sql`*, ${sql.identifier(key.name)} as id, 1 as version`;
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      const insert = (this.db as any).insert(table).values(chunk).onConflictDoNothing();
      await io
        .log(entity, sql`${insert.getSQL()} returning ${returning}`, (done) => {
          this.count("imported", entity, done.length);
          this.count("existing", entity, chunk.length - done.length);
        })
        .catch((err: unknown) => {
          throw constraintIssue(err, file);
        });
    }
  }

  /**
   * Records with global ids get their derived id unless the archive's record
   * is already this user's (the same account importing its own archive). Not
   * "only when another user holds it": with row-level security another user's
   * private loop is invisible here, and would make the insert a silent no-op.
   */
  private async remap(io: ImportIo, entity: EntityName, table: PgTable, rows: Row[]) {
    const ids = rows.map((r) => String(r.id));
    const map = new Map<string, string>();
    this.ids.set(table, map);
    if (!ids.length) return;
    const mine = await io.read(sql`select id from ${table} where id in ${ids} and user_id = ${this.userId}`);
    const own = new Set(mine.map((r) => String(r.id)));
    for (const id of ids) map.set(id, own.has(id) ? id : await remapId(this.userId, id));
    for (const r of rows) r.id = map.get(String(r.id));
    if (ids.length > own.size) this.report.remapped[entity] = ids.length - own.size;
  }

  /**
   * References to records with global ids: to one in the archive → its
   * (possibly new) id; to another user's record → kept if it exists and the
   * column is optional (a remix's parent), else the record is skipped (a
   * like of their loop would change their counters).
   */
  private async follow(io: ImportIo, entity: EntityName, table: PgTable, rows: Row[]): Promise<Row[]> {
    let out = rows;
    for (const [col, target] of globalRefs(table)) {
      const prop = propOf(table, col);
      const inArchive = this.ids.get(target) ?? new Map<string, string>();
      const foreign = [
        ...new Set(out.map((r) => r[prop] as string | null).filter((v) => v && !inArchive.has(v))),
      ] as string[];
      const exist = foreign.length ? await io.read(sql`select id from ${target} where id in ${foreign}`) : [];
      const existing = new Set(exist.map((r) => String(r.id)));
      const kept: Row[] = [];
      for (const r of out) {
        const v = r[prop] as string | null;
        if (!v || inArchive.has(v)) r[prop] = v ? inArchive.get(v) : v;
        else if (col.notNull) {
          const s = (this.report.skipped[entity] ??= { count: 0, reason: "refers to another user's record" });
          s.count++;
          continue;
        } else if (!existing.has(v)) r[prop] = null;
        kept.push(r);
      }
      out = kept;
      // A table that references itself (a remix and its parent): parents first, so each insert finds its parent.
      if (target === table) out = parentsFirst(out, prop);
    }
    return out;
  }

  /** Audio records point at their new R2 key; the quota counts what is new. */
  private async placeAudio(io: ImportIo, rows: Row[]) {
    const ids = rows.map((r) => String(r.id));
    if (!ids.length) return;
    // Both reads whatever they find (the buffered path collects them before knowing the answers).
    const have = await io.read(
      sql`select id, r2_key from ${audioFiles} where user_id = ${this.userId} and id in ${ids}`,
    );
    const [usage] = await io.read(sql`select continuum_audio_used(${this.userId}, null::uuid) as used`);
    const present = new Map(have.map((h) => [String(h.id), h.r2_key as string | null]));
    let adding = 0;
    for (const r of rows) {
      const id = String(r.id);
      r.r2Key = present.get(id) ?? `u/${this.userId}/${id}/${await remapId(this.userId, `${id}:import`)}`;
      if (!present.has(id)) adding += Number(r.size);
      this.audio.set(id, { key: String(r.r2Key), size: Number(r.size) });
    }
    if (adding && io.quota !== undefined) checkQuota(io.quota, Number(usage?.used ?? 0), adding);
  }

  async finish(io: ImportIo) {
    for (const [entity, ids] of this.seen)
      await IMPORT_RULES[entity]?.after?.((e, statement) => io.log(e, statement), this.userId, ids);
  }

  count(field: "imported" | "existing", entity: string, n: number) {
    if (n) this.report[field][entity] = (this.report[field][entity] ?? 0) + n;
  }
}

function parentsFirst(rows: Row[], prop: string): Row[] {
  const pending = new Map(rows.map((r) => [String(r.id), r]));
  const out: Row[] = [];
  const visit = (r: Row, depth: number) => {
    if (!pending.has(String(r.id)) || depth > 1000) return;
    pending.delete(String(r.id));
    const parent = pending.get(String(r[prop]));
    if (parent) visit(parent, depth + 1);
    out.push(r);
  };
  for (const r of rows) visit(r, 0);
  return out;
}

/** The record file whose table a broken constraint belongs to (CONSTRAINT names start with their table's). */
function fileOfConstraint(err: unknown, queued: ReadonlyArray<{ entity: EntityName; file: string }>) {
  const constraint = pgError(err)?.constraint ?? "";
  let best: { file: string; length: number } | undefined;
  for (const q of queued) {
    const table = getTableConfig(entities[q.entity].table).name;
    if (constraint.startsWith(`${table}_`) && table.length > (best?.length ?? 0))
      best = { file: q.file, length: table.length };
  }
  return best?.file;
}

/** A database rule the archive broke (a CHECK, a missing parent): 422, naming the rule, never the SQL. */
function constraintIssue(err: unknown, file: string): unknown {
  const pg = pgError(err);
  if (!pg?.sqlstate.startsWith("23")) return err;
  return invalid([{ file, message: `a record breaks the rule "${pg.constraint ?? pg.sqlstate}"` }]);
}

/**
 * An older archive's records in today's wire shape (EXPORT_VERSION's comment):
 * from version 1, a field today's schema allows to be null and the record
 * lacks is null. Anything else still goes through validation as it is.
 */
export function upgrade(entity: EntityName, version: number, records: unknown): unknown {
  if (version >= 2 || !Array.isArray(records)) return records;
  const schema = entities[entity].schema;
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
  const nullable = Object.keys(shape).filter((k) => shape[k]!.safeParse(null).success);
  return records.map((rec: unknown) =>
    rec && typeof rec === "object" && !Array.isArray(rec)
      ? { ...Object.fromEntries(nullable.filter((k) => !(k in rec)).map((k) => [k, null])), ...rec }
      : rec,
  );
}

/** What only the confirmed session may use: asked for once the first query has carried the check. */
export interface ImportSession {
  confirm(): Promise<{ username: string; bucket: R2Bucket; quota: number }>;
}

/**
 * Record files read whole (then written in one batch) while they come to no more than this in
 * all; an archive with more records streams through one interactive transaction instead.
 */
export const BUFFERED_RECORD_BYTES = 2 * 1024 * 1024;

type RecordFile = { entity: EntityName; file: string; records: Row[] };

/**
 * Reads the archive from `zip` into the scope's user (see the file comment). Runs before the
 * session is confirmed (the route is pipelined): nothing is written and no binding is touched
 * until `session.confirm()` has answered, and what is parsed before is bounded by
 * BUFFERED_RECORD_BYTES (beyond it the session is confirmed first).
 *
 * Round trips: an archive whose records fit is 2 — the reads that decide ids and the quota, in
 * one batch that the session check leads, then every write in one non-interactive batch
 * (writeBatch: all or nothing, as the transaction was). A larger one keeps the streamed path:
 * the check, then one interactive transaction holding a file at a time.
 */
export async function importArchive(scope: Scope, zip: ZipReader, session: ImportSession): Promise<ImportReport> {
  const { db, userId } = scope;
  try {
    const first = await zip.next();
    if (first?.name !== "manifest.json") throw invalid([{ file: "manifest.json", message: "must be the first file" }]);
    const manifest = parseJson(await zip.readAll(first, 1 << 20), "manifest.json") as Row | null;
    const version = manifest?.version;
    if (manifest?.format !== EXPORT_FORMAT || typeof version !== "number" || !IMPORT_VERSIONS.includes(version))
      throw invalid([
        {
          file: "manifest.json",
          message: `not a ${EXPORT_FORMAT} archive of version ${IMPORT_VERSIONS.join(" or ")}`,
        },
      ]);

    const order = recordOrder();
    let at = -1;
    let entry = await zip.next();
    const checker = new Importer(userId, "", db);
    /** The current entry's bytes, named and in order (not parsed yet). */
    const readRecordBytes = async () => {
      const file = entry!.name;
      const name = file.slice("records/".length).replace(/\.json$/, "");
      if (!isEntity(name)) throw invalid([{ file, message: "not a record type of this version" }]);
      if (order.indexOf(name) <= at) throw invalid([{ file, message: "out of order (see manifest.json)" }]);
      at = order.indexOf(name);
      return { entity: name, file, raw: await zip.readAll(entry!, MAX_RECORD_FILE_BYTES) };
    };
    const parseRecordFile = (f: { entity: EntityName; file: string; raw: Uint8Array }): RecordFile => ({
      entity: f.entity,
      file: f.file,
      records: checker.validate(f.entity, f.file, upgrade(f.entity, version, parseJson(f.raw, f.file))),
    });

    // Parsing and checking records costs the Worker time: for a session not yet confirmed, no more
    // than BUFFERED_RECORD_BYTES of them (past that, the session is confirmed first).
    let ctx: Awaited<ReturnType<ImportSession["confirm"]>> | undefined;
    const buffered: RecordFile[] = [];
    let bytes = 0;
    for (; entry?.name.startsWith("records/") && bytes <= BUFFERED_RECORD_BYTES; entry = await zip.next()) {
      const f = await readRecordBytes();
      bytes += f.raw.length;
      if (bytes > BUFFERED_RECORD_BYTES) ctx = await session.confirm();
      buffered.push(parseRecordFile(f));
    }

    let imp: Importer;
    if (!entry?.name.startsWith("records/")) {
      // Every record file is in hand. Pass 1 only collects the reads they need (which depend on
      // the archive alone); they go in one batch, led by the session check.
      const reads: SQL[] = [];
      const collecting: ImportIo = {
        read: async (q) => (reads.push(q), []),
        log: async () => {},
      };
      const dry = new Importer(userId, "", db);
      for (const f of buffered) await dry.apply(collecting, f.entity, f.file, f.records);
      const results = reads.length
        ? ((await batch(
            db,
            reads.map((q) => db.execute(q)),
          )) as unknown as { rows: Row[] }[])
        : [];
      ctx ??= await session.confirm(); // no round trip when the reads carried the check
      // Pass 2 decides with the answers, in the same order, and queues every write.
      let n = 0;
      const queued: Array<{ entity: EntityName; file: string; statement: SQLWrapper; took?: (rows: Row[]) => void }> =
        [];
      let file = "";
      const io: ImportIo = {
        read: async () => {
          const r = results[n++];
          if (!r) throw new Error("import: a read the first pass did not ask for");
          return r.rows;
        },
        log: async (entity, statement, took) => void queued.push({ entity, file, statement, took }),
        quota: ctx.quota,
      };
      imp = new Importer(userId, ctx.username, db);
      for (const f of buffered) {
        file = f.file;
        await imp.apply(io, f.entity, f.file, f.records);
      }
      await imp.finish(io);
      const rows = await scope
        .writeBatch(queued.map((q) => ({ entity: q.entity, op: "upsert" as const, statement: q.statement })))
        .catch((err: unknown) => {
          throw constraintIssue(err, fileOfConstraint(err, queued) ?? "records/");
        });
      queued.forEach((q, i) => q.took?.(rows[i] as Row[]));
    } else {
      // Too many records to hold: confirm the session first, then stream the rest through one
      // transaction (a bad record anywhere still leaves nothing written).
      ctx ??= await session.confirm();
      imp = new Importer(userId, ctx.username, db);
      const quota = ctx.quota;
      await scope.write(
        async (w) => {
          await w.lockLogs([]);
          const io = writerIo(w, quota);
          for (const f of buffered) await imp.apply(io, f.entity, f.file, f.records);
          for (; entry?.name.startsWith("records/"); entry = await zip.next()) {
            const f = parseRecordFile(await readRecordBytes());
            await imp.apply(io, f.entity, f.file, f.records);
          }
          await imp.finish(io);
        },
        { transaction: true },
      );
    }

    for (; entry; entry = await zip.next()) {
      const id = /^audio\/([0-9a-f-]{36})\.[a-z0-9]+$/.exec(entry.name)?.[1];
      const target = id ? imp.audio.get(id) : undefined;
      if (!target) {
        // Not ours to store (no record in this archive): read past it.
        await zip.readAll(entry, Number.MAX_SAFE_INTEGER).catch(() => {
          throw invalid([{ file: entry!.name, message: "an entry without an audio record, too large to skip" }]);
        });
        imp.report.audio.without_record++;
        continue;
      }
      const head = await ctx.bucket.head(target.key);
      const body = zip.stream(entry, target.size);
      if (head?.size === target.size) {
        await body.pipeTo(new WritableStream());
        imp.report.audio.already_stored++;
        continue;
      }
      const stored = await streamToR2(
        body,
        target.size,
        (stream, sniffed) =>
          ctx.bucket.put(target.key, stream, { httpMetadata: { contentType: sniffed!.contentType } }),
        { fileSize: target.size },
      );
      const { contentType, format, durationS } = stored.sniffed!;
      // What the bytes are, sniffed again (never the archive's word), and R2's etag; not a new version.
      await scope.write((w) =>
        w.log(
          "audio",
          "upsert",
          sql`update ${audioFiles} set etag = ${stored.result.httpEtag}, content_type = ${contentType},
                format = ${format}, duration_s = ${durationS}
              where user_id = ${userId} and id = ${id} returning *`,
        ),
      );
      imp.report.audio.stored++;
    }
    return imp.report;
  } catch (err) {
    if (err instanceof ZipError)
      throw new AppError(
        err.status === 413 ? 413 : 422,
        err.status === 413 ? ErrorCode.payload_too_large : ErrorCode.invalid_archive,
        `The archive can't be read: ${err.message}.`,
      );
    throw err;
  } finally {
    await zip.cancel();
  }
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw invalid([{ file, message: "not valid JSON (UTF-8)" }]);
  }
}
