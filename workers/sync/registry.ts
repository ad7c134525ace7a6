/**
 * Every synced record type, registered once: its table, how a row looks on the
 * wire, and a human label for errors. The write path (./write.ts), the change
 * feed and the Durable Object relay then handle it without new plumbing.
 */
import type { PgTable } from "drizzle-orm/pg-core";
import {
  audioFiles,
  focusLibraries,
  focusSessions,
  focusTracks,
  inboxItems,
  referenceItems,
  settings,
} from "../../db/schema";
import { audioToWire } from "../protocol/audio";
import { focusSessionToWire } from "../protocol/focus";
import { inboxItemToWire } from "../protocol/inbox";
import { focusLibraryToWire, focusTrackToWire } from "../protocol/libraries";
import { referenceToWire } from "../protocol/references";
import { settingsToWire } from "../protocol/settings";

const define = <T extends PgTable & { $inferSelect: object }>(
  table: T,
  toWire: (row: T["$inferSelect"]) => Record<string, unknown>,
  label: string,
) => ({ table, toWire, label });

export const entities = {
  settings: define(settings, settingsToWire, "Settings"),
  inbox_item: define(inboxItems, inboxItemToWire, "Inbox item"),
  focus_session: define(focusSessions, focusSessionToWire, "Focus session"),
  audio: define(audioFiles, audioToWire, "Audio"),
  focus_library: define(focusLibraries, focusLibraryToWire, "Focus library"),
  focus_track: define(focusTracks, focusTrackToWire, "Track"),
  reference: define(referenceItems, referenceToWire, "Reference"),
};

export type EntityName = keyof typeof entities;
export const isEntity = (name: string): name is EntityName => Object.hasOwn(entities, name);
