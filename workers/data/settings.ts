/**
 * The user's settings row (one per user, created at signup): a partial merge
 * or a reset, each ONE update whose WHERE holds every condition — the version
 * check, the merged `ui` size limit and the accent-while-owned rule
 * (data/market.ts `ownsAccent`) — so nothing refused is ever stored, even by
 * racing merges. Only when it changed nothing is the row read, to say why.
 */
import { and, eq, sql } from "drizzle-orm";
import { settings } from "../../db/schema";
import { AppError, notFound } from "../errors";
import { SETTINGS_DEFAULTS, UI_MAX_BYTES, type UpdateSettings } from "../protocol/settings";
import type { Scope } from "../sync/scope";
import { versionConflict } from "../sync/write";
import { ownsAccent } from "./market";

/** jsonb `||` merges in SQL, so concurrent partial updates of different fields don't overwrite each other. */
const merge = (column: typeof settings.accessibility | typeof settings.sync | typeof settings.ui, patch?: object) =>
  patch === undefined ? undefined : sql`${column} || ${JSON.stringify(patch)}::jsonb`;

async function save(
  scope: Scope,
  expected: number | undefined,
  set: Record<string, unknown>,
  ui?: object,
  accent?: string | null,
) {
  const where = and(
    expected === undefined ? undefined : eq(settings.version, expected),
    ui === undefined
      ? undefined
      : sql`octet_length((${settings.ui} || ${JSON.stringify(ui)}::jsonb)::text) <= ${UI_MAX_BYTES}`,
    accent ? ownsAccent(accent) : undefined,
  );
  const [row] = await scope.write((w) => w.updateWhere("settings", where, set));
  if (row) return row;
  const [current] = await scope.db.select().from(settings).where(eq(settings.userId, scope.userId));
  if (!current) throw notFound("Settings");
  if (expected !== undefined && current.version !== expected) throw versionConflict("settings", current);
  if (accent) throw new AppError(409, "not_owned", "Buy this accent theme in the Market before applying it.");
  throw new AppError(422, "validation_failed", `ui must be at most ${UI_MAX_BYTES} bytes as JSON after merging.`, {
    details: [{ path: "ui", code: "too_big", message: "merged ui is too large" }],
  });
}

/** PUT /api/settings: nested objects merge; `accent` only while owned (409 `not_owned`). */
export function updateSettings(scope: Scope, expected: number | undefined, patch: Omit<UpdateSettings, "version">) {
  const { theme, accessibility, sync, ui, time_zone, accent } = patch;
  const set = {
    ...(theme ? { theme } : {}),
    ...(time_zone !== undefined ? { timeZone: time_zone } : {}),
    ...(accent !== undefined ? { accent } : {}),
    accessibility: merge(settings.accessibility, accessibility),
    sync: merge(settings.sync, sync),
    ui: merge(settings.ui, ui),
  };
  return save(scope, expected, set, ui, accent);
}

/** DELETE /api/settings: the defaults, as a new version. */
export const resetSettings = (scope: Scope, expected: number | undefined) =>
  save(scope, expected, { ...SETTINGS_DEFAULTS });
