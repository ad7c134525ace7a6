// Studio writes as sync mutations (offline-safe, replayed in order, each with
// its Idempotency-Key): loops, likes, remixes and songs. Views call these and
// never fetch writes themselves.
import type { CreateLoop, CreateSong, Loop, LoopLike, Song, UpdateLoop, UpdateSong, User } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import type { SyncStore } from "../sync/store.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const quote = (text: string) => `“${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`;
const loopPath = (id: string) => `/api/studio/loops/${encodeURIComponent(id)}`;

export type LoopInput = Omit<CreateLoop, "id">;

export function createLoop(store: SyncStore, owner: User, input: LoopInput): string {
  const id = uuid();
  const now = iso(store.serverNow());
  const loop: Loop = {
    id,
    version: 1,
    created_at: now,
    updated_at: now,
    name: input.name,
    bars: input.bars,
    bpm: input.bpm,
    color: input.color,
    chord_progression: input.chord_progression ?? [],
    icon_sequence: input.icon_sequence ?? [],
    visibility: input.visibility ?? "private",
    remixable: input.remixable ?? false,
    parent_loop_id: null,
    owner: { id: owner.id, username: owner.username },
    plays_count: 0,
    likes_count: 0,
    remixes_count: 0,
  };
  void store.mutate({
    method: "POST",
    path: "/api/studio/loops",
    body: { id, ...input },
    entity: "loop",
    id,
    optimistic: { op: "upsert", data: loop },
    label: `Create loop ${quote(loop.name)}`,
  });
  return id;
}

export function updateLoop(store: SyncStore, loop: Loop, patch: UpdateLoop) {
  const next: Loop = { ...loop, ...patch, version: loop.version + 1, updated_at: iso(store.serverNow()) };
  return store.mutate({
    method: "PUT",
    path: loopPath(loop.id),
    body: patch,
    entity: "loop",
    id: loop.id,
    // Guarded: a change made meanwhile on another device wins, with a notice. Likes never bump the version.
    ifMatch: loop.version,
    optimistic: { op: "upsert", data: next },
    label: `Edit loop ${quote(loop.name)}`,
  });
}

export function deleteLoop(store: SyncStore, loop: Loop) {
  return store.mutate({
    method: "DELETE",
    path: loopPath(loop.id),
    entity: "loop",
    id: loop.id,
    optimistic: { op: "delete" },
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
    owner: { id: owner.id, username: owner.username },
    plays_count: 0,
    likes_count: 0,
    remixes_count: 0,
  };
  void store.mutate({
    method: "POST",
    path: `${loopPath(parent.id)}/remix`,
    body: { id, name },
    entity: "loop",
    id,
    optimistic: { op: "upsert", data: loop },
    label: `Remix ${quote(parent.name)}`,
  });
  return id;
}

const songPath = (id: string) => `/api/studio/songs/${encodeURIComponent(id)}`;

export function createSong(store: SyncStore, input: Omit<CreateSong, "id">): string {
  const id = uuid();
  const now = iso(store.serverNow());
  const song: Song = {
    id,
    version: 1,
    created_at: now,
    updated_at: now,
    title: input.title,
    bpm: input.bpm,
    time_signature: input.time_signature ?? "4/4",
    timeline: input.timeline ?? [],
    visibility: input.visibility ?? "private",
  };
  void store.mutate({
    method: "POST",
    path: "/api/studio/songs",
    body: { id, ...input },
    entity: "song",
    id,
    optimistic: { op: "upsert", data: song },
    label: `Create song ${quote(song.title)}`,
  });
  return id;
}

export function updateSong(store: SyncStore, song: Song, patch: UpdateSong) {
  const next: Song = { ...song, ...patch, version: song.version + 1, updated_at: iso(store.serverNow()) };
  return store.mutate({
    method: "PUT",
    path: songPath(song.id),
    body: patch,
    entity: "song",
    id: song.id,
    ifMatch: song.version,
    optimistic: { op: "upsert", data: next },
    label: `Edit song ${quote(song.title)}`,
  });
}

export function deleteSong(store: SyncStore, song: Song) {
  return store.mutate({
    method: "DELETE",
    path: songPath(song.id),
    entity: "song",
    id: song.id,
    optimistic: { op: "delete" },
    label: `Delete song ${quote(song.title)}`,
  });
}
