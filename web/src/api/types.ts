// The web app's wire types, all derived from the server's zod schemas in
// workers/protocol (type-only imports: no zod in the bundle).
export type { AuthResponse, DeviceSession, User } from "@protocol/auth.ts";
export type { ApiError as ErrorBody, Page } from "@protocol/common.ts";
export type { FocusSession, StartFocus } from "@protocol/focus.ts";
export type { CreateInboxItem, InboxItem, UpdateInboxItem } from "@protocol/inbox.ts";
export type { Accessibility, Settings, SyncMode, SyncPrefs, Theme, UpdateSettings } from "@protocol/settings.ts";
export type { Change, ChangesResponse, ServerMessage } from "@protocol/sync.ts";
export type { Audio, Upload } from "@protocol/audio.ts";
export type { CreateTrack, FocusLibrary, FocusTrack, UpdateTrack } from "@protocol/libraries.ts";
export type { CreateReference, Reference, UpdateReference } from "@protocol/references.ts";

import type { Audio } from "@protocol/audio.ts";
import type { FocusSession } from "@protocol/focus.ts";
import type { InboxItem } from "@protocol/inbox.ts";
import type { FocusLibrary, FocusTrack } from "@protocol/libraries.ts";
import type { Reference } from "@protocol/references.ts";
import type { Settings } from "@protocol/settings.ts";

/** Entities that flow through the change feed, with their record types. */
export interface EntityMap {
  settings: Settings;
  inbox_item: InboxItem;
  focus_session: FocusSession;
  audio: Audio;
  focus_library: FocusLibrary;
  focus_track: FocusTrack;
  reference: Reference;
}
export type EntityName = keyof EntityMap;
