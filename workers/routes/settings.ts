/** SPEC §5 Settings: one record per user (created at signup); PUT merges, DELETE resets. */
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { settings, userMarketPurchases } from "../../db/schema";
import type { PipelinedEnv } from "../env";
import { AppError, notFound } from "../errors";
import { createApi, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { SETTINGS_DEFAULTS, settingsSchema, UI_MAX_BYTES, updateSettingsSchema } from "../protocol/settings";
import { expectedVersion, requestScope, sendRecord } from "../http/record";
import { versionConflict, write } from "../sync/write";

/** jsonb `||` merges in SQL, so concurrent partial updates of different fields don't overwrite each other. */
const merge = (column: typeof settings.accessibility | typeof settings.sync | typeof settings.ui, patch?: object) =>
  patch === undefined ? undefined : sql`${column} || ${JSON.stringify(patch)}::jsonb`;

/** An accent may only be applied while the user owns (and hasn't refunded) a theme with it. */
const ownsAccent = (accent: string) => sql`exists (
  select 1 from ${userMarketPurchases} p
  where p.user_id = ${settings.userId} and p.refunded_at is null
    and p.effect->>'kind' = 'accent' and p.effect->>'accent' = ${accent})`;

/**
 * Updates the user's settings row in one statement. The optional version
 * check and the merged `ui` size limit are both in the WHERE clause, so
 * nothing oversized is ever stored, even by racing merges.
 */
async function save(
  c: Context<PipelinedEnv>,
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
  const [row] = await write(requestScope(c), (w) => w.updateWhere("settings", where, set));
  if (row) return row;
  const [current] = await c.var.db.select().from(settings).where(eq(settings.userId, c.var.user.id));
  if (!current) throw notFound("Settings");
  if (expected !== undefined && current.version !== expected) throw versionConflict("settings", current);
  if (accent) throw new AppError(409, "not_owned", "Buy this accent theme in the Market before applying it.");
  throw new AppError(422, "validation_failed", `ui must be at most ${UI_MAX_BYTES} bytes as JSON after merging.`, {
    details: [{ path: "ui", code: "too_big", message: "merged ui is too large" }],
  });
}

export const settingsRoutes = createApi();
const tags = ["Settings"];
const record = jsonContent(settingsSchema, "The user's settings");

register(
  settingsRoutes,
  route({
    pipelined: true,
    method: "get",
    path: "/",
    tags,
    operationId: "getSettings",
    responses: { 200: record },
    errors: [404],
  }),
  async (c) => {
    const [row] = await c.var.db.select().from(settings).where(eq(settings.userId, c.var.user.id));
    if (!row) throw notFound("Settings");
    return sendRecord(c, "settings", row);
  },
);

register(
  settingsRoutes,
  route({
    pipelined: true,
    method: "put",
    path: "/",
    tags,
    operationId: "updateSettings",
    description:
      "A partial merge: nested objects merge too; `ui` must stay ≤ 4 KB after merging; `accent` must be an owned market theme (409 `not_owned`).",
    request: jsonRequest(updateSettingsSchema),
    responses: { 200: record },
    errors: [400, 404, 413, 415],
  }),
  async (c) => {
    const { version, theme, accessibility, sync, ui, time_zone, accent } = c.req.valid("json");
    const set = {
      ...(theme ? { theme } : {}),
      ...(time_zone !== undefined ? { timeZone: time_zone } : {}),
      ...(accent !== undefined ? { accent } : {}),
      accessibility: merge(settings.accessibility, accessibility),
      sync: merge(settings.sync, sync),
      ui: merge(settings.ui, ui),
    };
    return sendRecord(c, "settings", await save(c, expectedVersion(c, version), set, ui, accent));
  },
);

register(
  settingsRoutes,
  route({
    pipelined: true,
    method: "delete",
    path: "/",
    tags,
    operationId: "resetSettings",
    description: "Resets to the defaults as a new version (not a tombstone).",
    responses: { 200: record },
    errors: [400, 404],
  }),
  async (c) => sendRecord(c, "settings", await save(c, expectedVersion(c), { ...SETTINGS_DEFAULTS })),
);
