/**
 * "Undo" on an executed assistant tool call (issue 24), in ONE database call
 * (continuum_undo_call(), db/migrations/0028_undo.sql): a created
 * todo or captured note is deleted, a completed or deleted todo comes back as
 * it was, a started focus session is abandoned, an undo_last_action is undone
 * in turn. The change is named from the call's own result (the record it
 * left, with its version), so it is version-checked like every undo
 * (data/undo.ts): a record edited since is a 409 with both versions, never
 * overwritten. The call gets `undone_at`, its conversation a new version.
 */
import { sql } from "drizzle-orm";
import { undoRefusal, undoConflict } from "../data/undo";
import { AppError, notFound } from "../errors";
import { ErrorCode } from "../protocol/rules";
import { rowFromRaw } from "../protocol/registry";
import { refusal } from "../sync/call";
import type { Scope } from "../sync/scope";

type Raw = Record<string, unknown>;

/** Undoes an executed call once; an already undone call is returned as it is. */
export async function undoToolCall(scope: Scope, callId: string) {
  let r: { call?: Raw; conflict?: true; entity?: string; current?: Raw | null; restoring?: Raw | null };
  try {
    r = await scope.write((w) =>
      w.call(sql`select continuum_undo_call(${scope.userId}, ${callId}, ${w.idempotencyKey}) as r`),
    );
  } catch (err) {
    const code = refusal(err)?.code;
    if (code === "tool_call_not_found") throw notFound("Tool call");
    if (code === ErrorCode.not_undoable)
      throw new AppError(409, ErrorCode.not_undoable, "This tool call changed nothing that can be undone.");
    if (code === ErrorCode.focus_session_ended)
      throw new AppError(409, ErrorCode.focus_session_ended, "That focus session has already ended.");
    throw undoRefusal(err);
  }
  if (r.conflict) throw undoConflict(r as never);
  return rowFromRaw("tool_call", r.call!);
}
