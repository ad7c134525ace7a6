/**
 * Every synced record type, listed once. The write path (workers/sync/write.ts),
 * the change feed and the Durable Object relay handle each one without new
 * plumbing; the web app derives its entity map from here (type-only).
 */
import { conversationRecord, messageRecord, toolCallRecord } from "./assistant";
import { audioRecord } from "./audio";
import { focusSessionRecord } from "./focus";
import { focusPresetRecord } from "./focus-presets";
import { inboxItemRecord } from "./inbox";
import { focusLibraryRecord, focusTrackRecord } from "./libraries";
import { marketItemRecord, purchaseRecord, rewardRecord, transactionRecord, walletRecord } from "./market";
import { referenceRecord } from "./references";
import { settingsRecord } from "./settings";
import { todoRecord } from "./todos";
import { loopLikeRecord, loopRecord, songRecord } from "./studio";

const records = [
  settingsRecord,
  inboxItemRecord,
  focusSessionRecord,
  focusPresetRecord,
  audioRecord,
  focusLibraryRecord,
  focusTrackRecord,
  referenceRecord,
  todoRecord,
  conversationRecord,
  messageRecord,
  toolCallRecord,
  loopRecord,
  loopLikeRecord,
  songRecord,
  marketItemRecord,
  walletRecord,
  purchaseRecord,
  transactionRecord,
  rewardRecord,
] as const;

type Records = (typeof records)[number];
export const entities = Object.fromEntries(records.map((r) => [r.entity, r])) as {
  [R in Records as R["entity"]]: R;
};

export type EntityName = keyof typeof entities;
/** Each entity's wire record, as the change feed and the API send it. */
export type EntityMap = { [E in EntityName]: ReturnType<(typeof entities)[E]["toWire"]> };
export const isEntity = (name: string): name is EntityName => Object.hasOwn(entities, name);
