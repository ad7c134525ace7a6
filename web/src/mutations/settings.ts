// Settings: one record per user, a per-field merge on the server.
import { SETTINGS_DEFAULTS } from "@protocol/rules.ts";
import type { Settings, UpdateSettings } from "../api/types.ts";
import type { SyncStore } from "../sync/store.ts";
import { enqueue, iso, updateRecord } from "./record.ts";

/** The server's defaults (a new account's settings; what "reset" restores). */
const DEFAULT_SETTINGS: Omit<Settings, "id" | "version" | "created_at" | "updated_at"> = {
  ...SETTINGS_DEFAULTS,
  // Set from the browser on first use; kept by a reset.
  time_zone: null,
};

/** Until the first sync delivers the real record, optimistic edits use this id. */
const LOCAL_SETTINGS_ID = "local-settings";

export function withDefaults(s: Settings | undefined): Settings {
  const now = iso(0);
  return {
    id: LOCAL_SETTINGS_ID,
    version: 0,
    created_at: now,
    updated_at: now,
    ...DEFAULT_SETTINGS,
    ...s,
    accessibility: { ...DEFAULT_SETTINGS.accessibility, ...s?.accessibility },
    sync: { ...DEFAULT_SETTINGS.sync, ...s?.sync },
  };
}

export function updateSettings(store: SyncStore, current: Settings, patch: UpdateSettings, label = "Settings change") {
  const next: Settings = {
    ...current,
    ...(patch.theme ? { theme: patch.theme } : {}),
    accessibility: { ...current.accessibility, ...patch.accessibility },
    ui: patch.ui ? { ...current.ui, ...patch.ui } : current.ui,
    sync: { ...current.sync, ...patch.sync },
    ...(patch.time_zone !== undefined ? { time_zone: patch.time_zone } : {}),
    ...(patch.accent !== undefined ? { accent: patch.accent } : {}),
    version: current.version + 1,
    updated_at: iso(store.serverNow()),
  };
  // Unguarded: settings are a per-field merge, so the last change wins.
  return updateRecord(store, "settings", { path: "/api/settings", current, next, body: patch, guarded: false, label });
}

export function resetSettings(store: SyncStore, current: Settings) {
  return enqueue(store, {
    method: "DELETE",
    path: "/api/settings",
    entity: "settings",
    id: current.id,
    optimistic: {
      op: "upsert",
      // The server keeps the time zone on reset (a fact, not a preference).
      data: {
        ...current,
        ...DEFAULT_SETTINGS,
        time_zone: current.time_zone,
        version: current.version + 1,
        updated_at: iso(store.serverNow()),
      },
    },
    label: "Reset settings",
  });
}
