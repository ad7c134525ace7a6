// Studio writes as sync mutations (offline-safe, replayed in order, each with
// its Idempotency-Key): loops, likes, remixes and songs. Views call these and
// never fetch writes themselves.
import type { CreateLoop, CreateSong, Loop, LoopLike, Song, UpdateLoop, UpdateSong, User } from "../api/types.ts";
import { DEFAULT_TIME_SIGNATURE } from "@protocol/rules.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";
import { createRecord, deleteRecord, editRecord, iso, newRecord, path, quote } from "./record.ts";

const loopPath = (id: string) => path`/api/studio/loops/${id}`;

export type LoopInput = Omit<CreateLoop, "id">;

export function createLoop(store: SyncStore, owner: User, input: LoopInput): string {
  const loop = newRecord(store, "loop", {
    name: input.name,
    bars: input.bars,
    bpm: input.bpm,
    color: input.color,
    chord_progression: input.chord_progression ?? [],
    icon_sequence: input.icon_sequence ?? [],
    visibility: input.visibility ?? "private",
    remixable: input.remixable ?? false,
    parent_loop_id: null,
    parent_owner_deleted: false,
    owner: { id: owner.id, username: owner.username },
    plays_count: 0,
    likes_count: 0,
    remixes_count: 0,
  });
  void createRecord(store, "loop", {
    path: "/api/studio/loops",
    record: loop,
    body: input,
    label: `Create loop ${quote(loop.name)}`,
  });
  return loop.id;
}

// Guarded: a change made meanwhile on another device wins, with a notice. Likes never bump the version.
export function updateLoop(store: SyncStore, loop: Loop, patch: UpdateLoop) {
  return editRecord(store, "loop", {
    path: loopPath(loop.id),
    current: loop,
    patch,
    label: `Edit loop ${quote(loop.name)}`,
  });
}

export function deleteLoop(store: SyncStore, loop: Loop) {
  return deleteRecord(store, "loop", {
    path: loopPath(loop.id),
    current: loop,
    label: `Delete loop ${quote(loop.name)}`,
  });
}

/** Like or unlike: the like record (id = the loop's id) syncs to the caller's other devices. */
export function setLike(store: SyncStore, loop: Pick<Loop, "id" | "name">, liked: boolean) {
  const like: LoopLike = { id: loop.id, loop_id: loop.id, version: 1, created_at: iso(store.serverNow()) };
  return store.mutate({
    method: liked ? "PUT" : "DELETE",
    path: `${loopPath(loop.id)}/like`,
    entity: "loop_like",
    id: loop.id,
    optimistic: liked ? { op: "upsert", data: like } : { op: "delete" },
    label: `${liked ? "Like" : "Unlike"} ${quote(loop.name)}`,
  });
}

/** A remix: a new private loop of the caller with the parent's music; the client picks its id. */
export function remixLoop(store: SyncStore, owner: User, parent: Loop): string {
  const id = uuid();
  const now = iso(store.serverNow());
  const name = `${parent.name} (remix)`.slice(0, 100);
  const loop: Loop = {
    ...parent,
    id,
    version: 1,
    created_at: now,
    updated_at: now,
    name,
    visibility: "private",
    remixable: false,
    parent_loop_id: parent.id,
    parent_owner_deleted: false,
    owner: { id: owner.id, username: owner.username },
    plays_count: 0,
    likes_count: 0,
    remixes_count: 0,
  };
  void createRecord(store, "loop", {
    path: `${loopPath(parent.id)}/remix`,
    record: loop,
    body: { name },
    label: `Remix ${quote(parent.name)}`,
  });
  return id;
}

const songPath = (id: string) => path`/api/studio/songs/${id}`;

export function createSong(store: SyncStore, input: Omit<CreateSong, "id">): string {
  const song = newRecord(store, "song", {
    title: input.title,
    bpm: input.bpm,
    time_signature: input.time_signature ?? DEFAULT_TIME_SIGNATURE,
    timeline: input.timeline ?? [],
    visibility: input.visibility ?? "private",
  });
  void createRecord(store, "song", {
    path: "/api/studio/songs",
    record: song,
    body: input,
    label: `Create song ${quote(song.title)}`,
  });
  return song.id;
}

export function updateSong(store: SyncStore, song: Song, patch: UpdateSong) {
  return editRecord(store, "song", {
    path: songPath(song.id),
    current: song,
    patch,
    label: `Edit song ${quote(song.title)}`,
  });
}

export function deleteSong(store: SyncStore, song: Song) {
  return deleteRecord(store, "song", {
    path: songPath(song.id),
    current: song,
    label: `Delete song ${quote(song.title)}`,
  });
}
