/** SPEC §5 Settings: one record per user (created at signup); PUT merges, DELETE resets. */
import { eq } from "drizzle-orm";
import { settings } from "../../db/schema";
import { resetSettings, updateSettings } from "../data/settings";
import { notFound } from "../errors";
import { createApi, jsonContent, jsonRequest, register, route } from "../http/openapi";
import { settingsSchema, updateSettingsSchema } from "../protocol/settings";
import { expectedVersion, scopeOf, sendRecord } from "../http/record";

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
    const { version, ...patch } = c.req.valid("json");
    return sendRecord(c, "settings", await updateSettings(scopeOf(c), expectedVersion(c, version), patch));
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
  async (c) => sendRecord(c, "settings", await resetSettings(scopeOf(c), expectedVersion(c))),
);
