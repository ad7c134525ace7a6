/** SPEC §5 Settings: one record per user (created at signup); PUT merges, DELETE resets. */
import { and, eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { settings } from "../../db/schema";
import type { AppEnv } from "../env";
import { AppError, notFound } from "../errors";
import { userApp } from "../lib/user-app";
import { jsonBody } from "../lib/validate";
import { SETTINGS_DEFAULTS, settingsToWire, UI_MAX_BYTES, updateSettingsSchema } from "../protocol/settings";
import { expectedVersion, type RowOf, sendRecord, write } from "../sync/write";

type Row = RowOf<"settings">;

const respond = (c: Context<AppEnv>, row: Row) => sendRecord(c, "settings", row);

/** jsonb `||` merges in SQL, so concurrent partial updates of different fields don't overwrite each other. */
const merge = (column: typeof settings.accessibility | typeof settings.sync | typeof settings.ui, patch?: object) =>
  patch === undefined ? undefined : sql`${column} || ${JSON.stringify(patch)}::jsonb`;

/**
 * Updates the user's settings row in one statement. The optional version
 * check and the merged `ui` size limit are both in the WHERE clause, so
 * nothing oversized is ever stored, even by racing merges.
 */
async function save(c: Context<AppEnv>, expected: number | undefined, set: Record<string, unknown>, ui?: object) {
  const where = and(
    expected === undefined ? undefined : eq(settings.version, expected),
    ui === undefined
      ? undefined
      : sql`octet_length((${settings.ui} || ${JSON.stringify(ui)}::jsonb)::text) <= ${UI_MAX_BYTES}`,
  );
  const [row] = await write(c, (w) => w.updateWhere("settings", where, set));
  if (row) return row;
  const [current] = await c.var.db.select().from(settings).where(eq(settings.userId, c.var.user.id));
  if (!current) throw notFound("Settings");
  if (expected !== undefined && current.version !== expected)
    throw new AppError(409, "version_conflict", "Settings were changed elsewhere; the current version is attached.", {
      details: { current: settingsToWire(current) },
    });
  throw new AppError(422, "validation_failed", `ui must be at most ${UI_MAX_BYTES} bytes as JSON after merging.`, {
    details: [{ path: "ui", code: "too_big", message: "merged ui is too large" }],
  });
}

export const settingsRoutes = userApp()
  .get("/", async (c) => {
    const [row] = await c.var.db.select().from(settings).where(eq(settings.userId, c.var.user.id));
    if (!row) throw notFound("Settings");
    return respond(c, row);
  })
  .put("/", jsonBody(updateSettingsSchema), async (c) => {
    const { version, theme, accessibility, sync, ui } = c.req.valid("json");
    const set = {
      ...(theme ? { theme } : {}),
      accessibility: merge(settings.accessibility, accessibility),
      sync: merge(settings.sync, sync),
      ui: merge(settings.ui, ui),
    };
    return respond(c, await save(c, expectedVersion(c, version), set, ui));
  })
  .delete("/", async (c) => respond(c, await save(c, expectedVersion(c), { ...SETTINGS_DEFAULTS })));
