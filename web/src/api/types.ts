// The web app's wire types, all derived from the server's definitions in
// workers/protocol (type-only imports: no zod, no drizzle in the bundle).
export type { AuthResponse, DeviceSession, User } from "@protocol/auth.ts";
export type { ApiError as ErrorBody, Page } from "@protocol/common.ts";
export type { FocusSession, StartFocus } from "@protocol/focus.ts";
export type { CreateInboxItem, InboxItem, UpdateInboxItem } from "@protocol/inbox.ts";
export type { Accessibility, Settings, SyncMode, SyncPrefs, Theme, UpdateSettings } from "@protocol/settings.ts";
export type { Change, ChangesResponse, ServerMessage, SnapshotResponse } from "@protocol/sync.ts";
export type { Audio, Upload } from "@protocol/audio.ts";
export type { CreateTrack, FocusLibrary, FocusTrack, UpdateTrack } from "@protocol/libraries.ts";
export type { CreateReference, Reference, UpdateReference } from "@protocol/references.ts";
export type {
  AchievementStatus,
  CreateReward,
  MarketEffect,
  MarketItem,
  MarketTransaction,
  Purchase,
  Recommendation,
  UpdateReward,
  UserReward,
  Wallet,
} from "@protocol/market.ts";
export type { CreateTodo, Todo, UpdateTodo } from "@protocol/todos.ts";
export type { HistoryEntry } from "@protocol/history.ts";
export type {
  Conversation,
  ConversationState,
  ConversationStatus,
  Message,
  StateMessage,
  ToolCall,
  ToolCallStatus,
} from "@protocol/assistant.ts";
export type { PersonalToken } from "@protocol/auth.ts";
/**
 * Entities that flow through the change feed, with their record types: the
 * server's registry, so a new synced type shows up here by itself.
 */
export type { EntityMap, EntityName } from "@protocol/registry.ts";

import type { EntityMap, EntityName, entities } from "@protocol/registry.ts";
import type { input, ZodType } from "zod";
/** Any synced record. */
export type AnyRecord = EntityMap[EntityName];
type Def<E extends EntityName> = (typeof entities)[E];
/** Record types declared with CRUD routes (workers/protocol/declare.ts `api`). */
export type DeclaredEntity = { [E in EntityName]: Def<E> extends { api: { path: string } } ? E : never }[EntityName];
/** A declared type's base path, as the server mounts it. */
export type ApiPathOf<E extends DeclaredEntity> = Def<E> extends { api: { path: infer P extends string } } ? P : never;
/** A declared type's create body. */
export type CreateOf<E extends DeclaredEntity> =
  Def<E> extends { create: infer S } ? input<Extract<S, ZodType>> : never;
export type {
  CreateLoop,
  CreateSong,
  FeedItem,
  FeedResponse,
  Loop,
  LoopLike,
  Song,
  UpdateLoop,
  UpdateSong,
} from "@protocol/studio.ts";

declare global {
  /** Declared record types' quota and field lengths, inlined by vite.config.ts (`define`). */
  const DECLARED_LIMITS: typeof import("@protocol/registry.ts").declaredLimits;
}
