// The one place a mutation is put together: how an optimistic create looks
// (newRecord), how paths encode ids (path``), and when If-Match is sent
// (updateRecord's `guarded`). The domain modules next to this file only say
// what their writes mean.
import type { ApiPathOf, CreateOf, DeclaredEntity, EntityMap, EntityName } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import type { Mutation, SyncStore } from "../sync/store.ts";
import { remember } from "./undo-log.ts";

export const iso = (ms: number) => new Date(ms).toISOString();

/** A record's title, quoted and shortened for notices: “Buy milk”. */
export const quote = (text: string) => `“${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`;

/** An API path with its ids percent-encoded: path`/api/references/${id}`. */
export function path(parts: TemplateStringsArray, ...ids: string[]): string {
  return parts.reduce((out, part, i) => out + part + (i < ids.length ? encodeURIComponent(ids[i]!) : ""), "");
}

/**
 * Queue a mutation. Views hand us records that are Solid store proxies; the
 * outbox keeps (and IndexedDB clones) plain copies, never live proxies.
 */
export function enqueue<E extends EntityName>(store: SyncStore, m: Mutation<E>) {
  const q = { ...m, body: plain(m.body), optimistic: plain(m.optimistic) };
  remember(store, q as never); // undoable (./undo-log.ts): may add its key and a delete's If-Match
  return store.mutate(q);
}

const plain = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

type Meta = "id" | "version" | "created_at" | "updated_at";
/** A record's own fields, without the ones every synced record carries. */
export type Fields<E extends EntityName> = Omit<EntityMap[E], Meta>;

/**
 * The record an optimistic create shows until the server answers: a fresh
 * client id (the server keeps it), version 1, timestamps from the server clock.
 */
export function newRecord<E extends EntityName>(
  store: SyncStore,
  _entity: E,
  fields: Fields<E>,
  now = store.serverNow(),
): EntityMap[E] {
  const at = iso(now);
  return { id: uuid(), version: 1, created_at: at, updated_at: at, ...fields } as EntityMap[E];
}

/** `current` with `patch` applied, as the server will store it: one version on, updated now. */
export function bumped<R extends EntityMap[EntityName]>(store: SyncStore, current: R, patch: Partial<R>): R {
  return { ...current, ...patch, version: current.version + 1, updated_at: iso(store.serverNow()) };
}

/** POST a new record; the body carries its client-made id so a replay can't create two. */
export function createRecord<E extends EntityName>(
  store: SyncStore,
  entity: E,
  opts: { path: string; record: EntityMap[E]; body: object; label: string },
) {
  const { id } = opts.record;
  return enqueue(store, {
    method: "POST",
    path: opts.path,
    body: { id, ...opts.body },
    entity,
    id,
    optimistic: { op: "upsert", data: opts.record },
    label: opts.label,
  });
}

/**
 * Change an existing record. `guarded` sends If-Match with the version the
 * user saw: a concurrent edit elsewhere then wins and this one is reported as
 * a conflict. Unguarded changes are last-write-wins.
 */
export function updateRecord<E extends EntityName>(
  store: SyncStore,
  entity: E,
  opts: {
    path: string;
    current: EntityMap[E];
    /** What to show until the server answers. */
    next: EntityMap[E];
    body?: unknown;
    method?: "PUT" | "POST";
    guarded: boolean;
    label: string;
    key?: string;
  },
) {
  return enqueue(store, {
    method: opts.method ?? "PUT",
    path: opts.path,
    body: opts.body,
    entity,
    id: opts.current.id,
    ifMatch: opts.guarded ? opts.current.version : undefined,
    optimistic: { op: "upsert", data: opts.next },
    label: opts.label,
    key: opts.key,
  });
}

/** The usual edit: send the patch, show it applied, guarded by the version the user saw. */
export function editRecord<E extends EntityName>(
  store: SyncStore,
  entity: E,
  opts: { path: string; current: EntityMap[E]; patch: Partial<EntityMap[E]>; label: string },
) {
  const { current, patch } = opts;
  return updateRecord(store, entity, {
    path: opts.path,
    current,
    next: bumped(store, current, patch),
    body: patch,
    guarded: true,
    label: opts.label,
  });
}

/** DELETE a record; it disappears here at once. */
export function deleteRecord<E extends EntityName>(
  store: SyncStore,
  entity: E,
  opts: { path: string; current: EntityMap[E]; label: string },
) {
  return enqueue(store, {
    method: "DELETE",
    path: opts.path,
    entity,
    id: opts.current.id,
    optimistic: { op: "delete" },
    label: opts.label,
  });
}

/**
 * Create, edit and delete for a declared record type (workers/protocol/declare.ts):
 * `base` is the server's path for it (the type accepts only that one), notices
 * name the record by `title` — and by `noun` too in edit and delete notices
 * when `nounInEveryNotice` ("Edit loop “Intro”", where a bare title would not
 * say which kind of record it is). A plain type needs no mutations file of its own.
 */
export function recordClient<E extends DeclaredEntity>(
  entity: E,
  base: ApiPathOf<E>,
  names: { noun: string; title: (r: EntityMap[E]) => string; nounInEveryNotice?: boolean },
) {
  const at = (r: EntityMap[E]) => `${base}${path`/${r.id}`}`;
  const quoted = (r: EntityMap[E]) => quote(names.title(r));
  const named = (r: EntityMap[E]) => (names.nounInEveryNotice ? `${names.noun} ${quoted(r)}` : quoted(r));
  return {
    /**
     * `fields` is the optimistic record (server-made fields included); the body
     * sent is `body`, by default the same fields. Returns the new record's id
     * (the client picks it), so a view can open it before the server answers.
     */
    create(store: SyncStore, fields: Fields<E>, body: Omit<CreateOf<E>, "id"> = fields as never): string {
      const record = newRecord(store, entity, fields);
      void createRecord(store, entity, { path: base, record, body, label: `Create ${names.noun} ${quoted(record)}` });
      return record.id;
    },
    edit(store: SyncStore, current: EntityMap[E], patch: Partial<Fields<E>>, label = `Edit ${named(current)}`) {
      return editRecord(store, entity, { path: at(current), current, patch: patch as Partial<EntityMap[E]>, label });
    },
    remove(store: SyncStore, current: EntityMap[E]) {
      return deleteRecord(store, entity, { path: at(current), current, label: `Delete ${named(current)}` });
    },
  };
}
