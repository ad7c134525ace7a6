// Studio writes as sync mutations (offline-safe, replayed in order, each with
// its Idempotency-Key): loops, likes, remixes and songs. Views call these and
// never fetch writes themselves.
import type { CreateLoop, CreateSong, Loop, LoopLike, Song, UpdateLoop, UpdateSong, User } from "../api/types.ts";
import { DEFAULT_TIME_SIGNATURE } from "@protocol/rules.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";
import { createRecord, iso, path, quote, recordClient } from "./record.ts";

const loopPath = (id: string) => path`/api/studio/loops/${id}`;

// Declared types (workers/protocol/studio.ts): their writes come from recordClient.
// Edits are guarded: a change made meanwhile on another device wins, with a notice.
const loops = recordClient("loop", "/api/studio/loops", {
  noun: "loop",
  title: (l) => l.name,
  nounInEveryNotice: true,
});
const songs = recordClient("song", "/api/studio/songs", {
  noun: "song",
  title: (s) => s.title,
  nounInEveryNotice: true,
});

export type LoopInput = Omit<CreateLoop, "id">;

/** A new loop of `owner`; shown at once with the server's defaults and zero counters. */
export const createLoop = (store: SyncStore, owner: User, input: LoopInput): string =>
  loops.create(
    store,
    {
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
    },
    input,
  );

// Likes never bump the version.
export const updateLoop = (store: SyncStore, loop: Loop, patch: UpdateLoop) => loops.edit(store, loop, patch);

export const deleteLoop = (store: SyncStore, loop: Loop) => loops.remove(store, loop);

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

export const createSong = (store: SyncStore, input: Omit<CreateSong, "id">): string =>
  songs.create(
    store,
    {
      title: input.title,
      bpm: input.bpm,
      time_signature: input.time_signature ?? DEFAULT_TIME_SIGNATURE,
      timeline: input.timeline ?? [],
      visibility: input.visibility ?? "private",
    },
    input,
  );

export const updateSong = (store: SyncStore, song: Song, patch: UpdateSong) => songs.edit(store, song, patch);

export const deleteSong = (store: SyncStore, song: Song) => songs.remove(store, song);
