// Every user action as a sync mutation: the request the server needs plus the
// record to show until it answers. Views call these; they never fetch writes
// themselves, so every write works offline and replays in order.
import type { FocusSession, InboxItem, Settings, UpdateInboxItem, UpdateSettings } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function quote(text: string): string {
  return `“${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`;
}

// ---- settings ----------------------------------------------------------

export const DEFAULT_SETTINGS: Omit<Settings, "id" | "version" | "created_at" | "updated_at"> = {
  theme: "system",
  accessibility: { reduced_motion: false, high_contrast: false, font_scale: 1 },
  ui: {},
  sync: { mode: "auto", poll_interval_s: 30 },
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
    version: current.version + 1,
    updated_at: iso(store.serverNow()),
  };
  // No If-Match: settings are a per-field merge, so the last change wins.
  return store.mutate({
    method: "PUT",
    path: "/api/settings",
    body: patch,
    entity: "settings",
    id: current.id,
    optimistic: { op: "upsert", data: next },
    label,
  });
}

export function resetSettings(store: SyncStore, current: Settings) {
  const now = iso(store.serverNow());
  return store.mutate({
    method: "DELETE",
    path: "/api/settings",
    entity: "settings",
    id: current.id,
    optimistic: {
      op: "upsert",
      data: { ...current, ...DEFAULT_SETTINGS, version: current.version + 1, updated_at: now },
    },
    label: "Reset settings",
  });
}

// ---- inbox ---------------------------------------------------------------

export function createInboxItem(store: SyncStore, input: { title: string; description?: string; tags: string[] }) {
  const id = uuid();
  const now = iso(store.serverNow());
  const item: InboxItem = {
    id,
    version: 1,
    created_at: now,
    updated_at: now,
    title: input.title,
    description: input.description ?? "",
    tags: input.tags,
  };
  return store.mutate({
    method: "POST",
    path: "/api/user/inbox",
    body: { id, title: item.title, description: item.description, tags: item.tags },
    entity: "inbox_item",
    id,
    optimistic: { op: "upsert", data: item },
    label: `Capture ${quote(item.title)}`,
  });
}

export function updateInboxItem(store: SyncStore, item: InboxItem, patch: UpdateInboxItem) {
  const next: InboxItem = { ...item, ...patch, version: item.version + 1, updated_at: iso(store.serverNow()) };
  return store.mutate({
    method: "PUT",
    path: `/api/user/inbox/${encodeURIComponent(item.id)}`,
    body: patch,
    entity: "inbox_item",
    id: item.id,
    // Edits are guarded: a concurrent edit elsewhere makes this one lose (server wins) with a notice.
    ifMatch: item.version,
    optimistic: { op: "upsert", data: next },
    label: `Edit ${quote(item.title)}`,
  });
}

export function deleteInboxItem(store: SyncStore, item: InboxItem) {
  return store.mutate({
    method: "DELETE",
    path: `/api/user/inbox/${encodeURIComponent(item.id)}`,
    entity: "inbox_item",
    id: item.id,
    optimistic: { op: "delete" },
    label: `Delete ${quote(item.title)}`,
  });
}

// ---- focus -----------------------------------------------------------------

/** Seconds left right now, from server timestamps and the server clock estimate. */
export function remainingNow(s: FocusSession, serverNow: number): number {
  if (s.status === "active" && s.ends_at) return Math.max(0, (Date.parse(s.ends_at) - serverNow) / 1000);
  return Math.max(0, s.remaining_s);
}

export function startFocus(store: SyncStore, duration_s: number, label: string) {
  const id = uuid();
  const now = store.serverNow();
  const session: FocusSession = {
    id,
    version: 1,
    created_at: iso(now),
    updated_at: iso(now),
    label: label || null,
    duration_s,
    status: "active",
    started_at: iso(now),
    paused_at: null,
    paused_total_s: 0,
    ended_at: null,
    ends_at: iso(now + duration_s * 1000),
    remaining_s: duration_s,
  };
  return store.mutate({
    method: "POST",
    path: "/api/focus/sessions",
    body: label ? { id, duration_s, label } : { id, duration_s },
    entity: "focus_session",
    id,
    optimistic: { op: "upsert", data: session },
    label: "Start focus session",
  });
}

export function pauseFocus(store: SyncStore, s: FocusSession) {
  const now = store.serverNow();
  const next: FocusSession = {
    ...s,
    version: s.version + 1,
    updated_at: iso(now),
    status: "paused",
    paused_at: iso(now),
    ends_at: null,
    remaining_s: remainingNow(s, now),
  };
  return focusAction(store, s, "/api/focus/pause", next, "Pause focus session");
}

export function resumeFocus(store: SyncStore, s: FocusSession) {
  const now = store.serverNow();
  const pausedFor = s.paused_at ? Math.max(0, (now - Date.parse(s.paused_at)) / 1000) : 0;
  const next: FocusSession = {
    ...s,
    version: s.version + 1,
    updated_at: iso(now),
    status: "active",
    paused_at: null,
    paused_total_s: s.paused_total_s + pausedFor,
    ends_at: iso(now + s.remaining_s * 1000),
  };
  return focusAction(store, s, "/api/focus/resume", next, "Resume focus session");
}

export function endFocus(
  store: SyncStore,
  s: FocusSession,
  outcome: "complete" | "abandon",
  opts: { key?: string } = {},
) {
  const now = store.serverNow();
  const next: FocusSession = {
    ...s,
    version: s.version + 1,
    updated_at: iso(now),
    status: outcome === "complete" ? "completed" : "abandoned",
    ended_at: iso(now),
    ends_at: null,
    remaining_s: remainingNow(s, now),
  };
  const path = `/api/focus/sessions/${encodeURIComponent(s.id)}/${outcome}`;
  const label = outcome === "complete" ? "Complete focus session" : "Abandon focus session";
  return focusAction(store, s, path, next, label, opts.key);
}

function focusAction(store: SyncStore, s: FocusSession, path: string, next: FocusSession, label: string, key?: string) {
  return store.mutate({
    method: "POST",
    path,
    entity: "focus_session",
    id: s.id,
    optimistic: { op: "upsert", data: next },
    label,
    key,
  });
}
