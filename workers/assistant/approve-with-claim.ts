/**
 * approve_tools in two round trips instead of three. Usually the claim comes
 * first (it tells the Worker which call was approved, with its name and
 * input), then the approved tool's write, then the model, then the run's end.
 * When the request names the call as the state showed it (`name`, `input`:
 * the web app sends them), the tool's first write is built before the claim
 * and the claim with the call's guard rides with it (db/client.ts `ride`):
 * one transaction — the session check, the claim, the guard (only if the
 * stored call still has that name and input), the write. If that transaction
 * fails before anything commits (a changed call, the tool's own refusal), the
 * request takes the usual way, which claims again and records the outcome.
 */
import { asAppError, pgError, SQLSTATE } from "../errors";
import type { DbHandle } from "../../db/client";
import type { LoggedChange } from "../sync/call";
import { refusal } from "../sync/call";
import { joinedWrite, type Scope } from "../sync/scope";
import type { ApproveTools } from "../protocol/assistant";
import { findUnstorable } from "../protocol/common";
import {
  claimAndHold,
  claimed,
  claimRefused,
  leaseLost,
  notPending,
  type ClaimedState,
  type DecidedCall,
  type RawState,
} from "./conversations";
import { toolByName } from "./tools";

/** The claim with the first approved call already run, or undefined: claim the usual way. */
export async function claimWithApprovedCall(
  scope: Scope,
  ride: DbHandle["ride"],
  id: string,
  approvals: ApproveTools["approvals"],
  runId: string,
  leaseSeconds: number,
): Promise<{ claimed: ClaimedState; decided: DecidedCall } | undefined> {
  const named = approvals.find((a) => a.approved && a.name !== undefined && a.input !== undefined);
  const def = named && toolByName(named.name!);
  if (!named || !def?.changesData) return undefined;
  const input = def.input.safeParse(named.input);
  if (!input.success || findUnstorable(input.data)) return undefined;
  const call = { id: named.tool_call_id, name: def.name, input: named.input };

  let raw: RawState | undefined;
  let outcome: DecidedCall;
  try {
    const result = await scope.write(async (w) => {
      const cancel = ride(claimAndHold(scope, id, approvals, runId, leaseSeconds, call), (r) => {
        const row = r.rows[0] as { r: RawState & { changes?: LoggedChange[] }; h: { changes: LoggedChange[] } };
        raw = row.r;
        w.adopt(row.r.changes ?? []);
        w.adopt(row.h.changes);
      });
      try {
        // The tool's statements join this write, as an approved call's do in run.ts.
        const joined = joinedWrite(scope, w);
        return await def.run(joined, input.data, { recordId: call.id });
      } finally {
        cancel(); // nothing sent: no claim either
      }
    });
    outcome = { id: call.id, status: "executed", result };
  } catch (err) {
    if (!raw) {
      // Nothing committed. The claim's own refusals are the answer; the session check's too.
      const code = refusal(err)?.code;
      if (code && code !== "call_changed") claimRefused(err);
      const state = pgError(err)?.sqlstate;
      if (state === SQLSTATE.sessionRefused || state === SQLSTATE.keyUsed) throw err;
      return undefined; // a changed call, or the tool refused: the usual way records it
    }
    // The claim committed with the tool's first statement; a later one of the tool failed.
    const code = refusal(err)?.code;
    if (code === "lease_expired") throw leaseLost();
    if (code === "tool_call_not_pending") throw notPending();
    const known = asAppError(err);
    if (!known || known.code === "lease_expired") throw err;
    outcome = { id: call.id, status: "failed", result: { error: { code: known.code, message: known.message } } };
  }
  // A tool that sent nothing wrote nothing, and nothing claimed: the usual way.
  if (!raw) return undefined;
  const state = claimed(raw);
  for (const row of state.history)
    if (row.call?.id === call.id) row.call = { ...row.call, status: outcome.status, result: outcome.result };
  return { claimed: state, decided: outcome };
}
