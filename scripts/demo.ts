/**
 * What a demo seed (scripts/seed-demo.ts and the demo-*.ts it runs) gets to
 * work with: its own module, so the seeds needn't import the file that imports them.
 */
export interface Demo {
  /** Calls the API as the demo user; throws (with the response) on a non-2xx. */
  api<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /**
   * POSTs a record with a client-chosen id. Same content → 200 (nothing new);
   * a different record under that id (the user edited the demo since, or a
   * date-relative field moved on) → 409 `id_conflict`, also fine: it exists.
   */
  create(path: string, body: { id: string } & Record<string, unknown>): Promise<void>;
  /** The account's user id (ids are per user: scope any SQL with it). */
  userId: string;
  /** A stable UUID for `name`: the same record on every run. */
  id(name: string): string;
  /** SQL on the app's database, for what the API can't express (backdating history). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}
