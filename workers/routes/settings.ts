/** SPEC §5 Settings: one record per user; PUT merges, DELETE resets. */
import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Tx } from "../../db/client";
import { settings } from "../../db/schema";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { userApp } from "../lib/user-app";
import { jsonBody } from "../lib/validate";
import { SETTINGS_DEFAULTS, settingsToWire, UI_MAX_BYTES, updateSettingsSchema } from "../protocol/settings";
import { commit } from "../sync/commit";
import { expectedVersion, updateOwned } from "../sync/records";

/** The user's settings row, created with defaults if it is somehow missing. */
async function ensureSettings(c: Context<AppEnv>) {
  const [row] = await c.var.db.select().from(settings).where(eq(settings.userId, c.var.user.id));
  if (row) return row;
  return commit(c, async (tx, changes) => {
    const [created] = await tx
      .insert(settings)
      .values({ id: crypto.randomUUID(), userId: c.var.user.id, ...SETTINGS_DEFAULTS })
      .onConflictDoNothing()
      .returning();
    const current = created ?? (await tx.select().from(settings).where(eq(settings.userId, c.var.user.id)))[0]!;
    if (created) changes.upsert("settings", created);
    return current;
  });
}

const respond = (c: Context<AppEnv>, row: typeof settings.$inferSelect) => {
  c.header("ETag", `"${row.version}"`);
  return c.json(settingsToWire(row));
};

/** jsonb `||` merges in SQL, so concurrent partial updates of different fields don't overwrite each other. */
const merge = (column: typeof settings.accessibility | typeof settings.sync | typeof settings.ui, patch: object | undefined) =>
  patch === undefined ? undefined : sql`${column} || ${JSON.stringify(patch)}::jsonb`;

async function save(c: Context<AppEnv>, tx: Tx, id: string, expected: number | undefined, values: Parameters<typeof updateOwned<"settings">>[5]) {
  const row = await updateOwned(tx, "settings", c.var.user.id, id, expected, values);
  if (new TextEncoder().encode(JSON.stringify(row.ui)).length > UI_MAX_BYTES)
    throw new AppError(422, "validation_failed", `ui must be at most ${UI_MAX_BYTES} bytes as JSON.`, {
      details: [{ path: "ui", code: "too_big", message: "merged ui is too large" }],
    });
  return row;
}

export const settingsRoutes = userApp()
  .get("/", async (c) => respond(c, await ensureSettings(c)))
  .put("/", jsonBody(updateSettingsSchema), async (c) => {
    const { version, theme, accessibility, sync, ui } = c.req.valid("json");
    const expected = expectedVersion(c, version);
    const current = await ensureSettings(c);
    const row = await commit(c, async (tx, changes) => {
      const updated = await save(c, tx, current.id, expected, {
        ...(theme ? { theme } : {}),
        accessibility: merge(settings.accessibility, accessibility) as never,
        sync: merge(settings.sync, sync) as never,
        ui: merge(settings.ui, ui) as never,
      });
      changes.upsert("settings", updated);
      return updated;
    });
    return respond(c, row);
  })
  .delete("/", async (c) => {
    const expected = expectedVersion(c);
    const current = await ensureSettings(c);
    const row = await commit(c, async (tx, changes) => {
      const updated = await save(c, tx, current.id, expected, { ...SETTINGS_DEFAULTS });
      changes.upsert("settings", updated);
      return updated;
    });
    return respond(c, row);
  });
