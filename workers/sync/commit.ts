/**
 * The one write path for synced records. `commit()` runs the domain's writes
 * and the change-log rows they produce in a single transaction, stamps them
 * with the user's next cursors, and after commit relays them to the user's
 * Durable Object. Mutation responses carry `X-Sync-Cursor`, the cursor that
 * contains the write, so clients can retire optimistic state by position.
 *
 * Cursors come from `users.change_seq`, bumped with a row lock at the end of
 * the transaction: a user's writes get their cursors in commit order, so a
 * reader never sees cursor n+1 while n could still appear.
 */
import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Tx } from "../../db/client";
import { changeLog, users } from "../../db/schema";
import type { AppEnv } from "../env";
import type { Change } from "../protocol/sync";
import { relayChanges } from "./relay";
import { entities, type EntityName } from "./registry";

type RowOf<E extends EntityName> = Parameters<(typeof entities)[E]["toWire"]>[0];

export interface ChangeRecorder {
  upsert<E extends EntityName>(entity: E, row: RowOf<E>): void;
  remove(entity: EntityName, id: string, version: number): void;
}

type Pending = Omit<Change, "cursor">;

export async function commit<T>(
  c: Context<AppEnv>,
  work: (tx: Tx, changes: ChangeRecorder) => Promise<T>,
  /** Defaults to the signed-in user; signup passes the user it is creating. */
  userId: string = c.var.user.id,
): Promise<T> {
  let logged: Change[] = [];
  let prev = 0;
  const result = await c.var.db.transaction(async (tx) => {
    const pending: Pending[] = [];
    const recorder: ChangeRecorder = {
      upsert(entity, row) {
        const data = (entities[entity].toWire as (r: typeof row) => Record<string, unknown>)(row);
        pending.push({ entity, id: data.id as string, op: "upsert", version: data.version as number, data });
      },
      remove(entity, id, version) {
        pending.push({ entity, id, op: "delete", version, data: null });
      },
    };
    const value = await work(tx, recorder);
    if (pending.length > 0) {
      const [row] = await tx
        .update(users)
        .set({ changeSeq: sql`${users.changeSeq} + ${pending.length}` })
        .where(eq(users.id, userId))
        .returning({ last: users.changeSeq });
      prev = row!.last - pending.length;
      logged = pending.map((p, i) => ({ ...p, cursor: String(prev + i + 1) }));
      await tx.insert(changeLog).values(
        logged.map((ch) => ({
          userId,
          seq: Number(ch.cursor),
          entity: ch.entity,
          recordId: ch.id,
          op: ch.op,
          version: ch.version,
          data: ch.data,
        })),
      );
    }
    return value;
  });
  if (logged.length > 0) {
    c.header("X-Sync-Cursor", logged.at(-1)!.cursor);
    c.executionCtx.waitUntil(relayChanges(c.env, userId, { type: "changes", prev: String(prev), cursor: logged.at(-1)!.cursor, changes: logged }));
  }
  return result;
}
