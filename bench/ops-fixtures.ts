/**
 * One fixture per operation of /api/openapi.json, by operationId: how the
 * per-operation bench (bench/ops.ts) builds one request of it. Whatever a
 * sample consumes (the record it deletes, the item it buys, the session it
 * ends) is created first, through the API or directly in Postgres, untimed.
 * An operation of the document without an entry here fails the bench.
 *
 * Mutations carry an `Idempotency-Key`, as the web client sends them.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Pool } from "@neondatabase/serverless";
import { EXPORT_FORMAT, EXPORT_VERSION } from "../workers/protocol/your-data.ts";
import { zipStream } from "../workers/lib/zip.ts";
import type { Req, Res, TestUser } from "./lib.ts";

export interface Fixtures {
  /** The measured user; `other` owns the public loop `user` likes. */
  user: TestUser;
  other: TestUser;
  /** A user signed up through the API (real password), for login. */
  login: { login: string; password: string };
  /** A request as `user` (or `as`), outside the timing; throws unless 2xx. */
  api(method: string, path: string, body?: unknown, as?: TestUser): Promise<Res>;
  /** Any request, outside the timing; throws unless 2xx. */
  run(req: Req): Promise<Res>;
  pool: Pool;
  /** Ids made once, shared by the read fixtures. */
  ids: Record<string, string>;
}

export interface OpFixture {
  /** One request of the operation (whatever it consumes is made first, untimed). */
  make(f: Fixtures, i: number): Promise<Req> | Req;
  /** The status a successful sample answers. */
  status: number;
  /** A WebSocket upgrade: timed from the request to the first server message. */
  socket?: boolean;
  /** Allowed 2 round trips at 100 ms, and why (docs/BENCHMARKS.md). */
  twoTrips?: string;
}

const auth = (u: TestUser, keyed = false): Record<string, string> => ({
  authorization: `Bearer ${u.token}`,
  ...(keyed ? { "idempotency-key": randomUUID() } : {}),
});
const get = (path: string) => (f: Fixtures) => ({ method: "GET", path, headers: auth(f.user) });
const getId = (path: (ids: Record<string, string>) => string) => (f: Fixtures) => ({
  method: "GET",
  path: path(f.ids),
  headers: auth(f.user),
});
const mut = (f: Fixtures, method: string, path: string, body?: unknown): Req => ({
  method,
  path,
  headers: auth(f.user, true),
  ...(body === undefined ? {} : { body }),
});
const id = async (res: Promise<Res>, field = "id") => String((await res).json()[field]);

/** An export archive holding one inbox item new to `user`: `other`'s, as the server writes it (no wire shape restated here). */
async function smallArchive(f: Fixtures): Promise<Uint8Array> {
  const item = (await f.api("POST", "/api/user/inbox", { title: "bench" }, f.other)).json();
  const text = (v: unknown) => [new TextEncoder().encode(JSON.stringify(v))];
  const entries = [
    { name: "manifest.json", data: text({ format: EXPORT_FORMAT, version: EXPORT_VERSION }) },
    { name: "records/inbox_item.json", data: text([item]) },
  ];
  const stream = zipStream(
    (async function* () {
      yield* entries;
    })(),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A 1 s, 8 kHz mono PCM WAV (the smallest format the server sniffs without doubt). */
function wav(): Uint8Array {
  const data = randomBytes(16000);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVE", 8);
  h.write("fmt ", 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(data.length, 40);
  return new Uint8Array(Buffer.concat([h, data]));
}

const wavUpload = (f: Fixtures): Req => {
  const bytes = wav();
  return {
    method: "POST",
    path: "/api/audio",
    headers: { ...auth(f.user, true), "content-type": "audio/wav", "x-filename": "bench.wav" },
    body: bytes,
  };
};

/** A session of `user` made directly in Postgres (as login makes them), for logout and revoke. */
async function sessionOf(f: Fixtures): Promise<{ token: string; id: string }> {
  const token = `${f.user.id}.${randomBytes(32).toString("base64url")}`;
  const hash = createHash("sha256").update(token).digest("hex");
  const r = await f.pool.query(
    `insert into sessions (user_id, token_hash, user_agent, expires_at)
     values ($1, $2, 'bench', now() + interval '1 day') returning id`,
    [f.user.id, hash],
  );
  return { token, id: String(r.rows[0].id) };
}

/** An account signed up through the API (a real password hash), from an address of its own (signup is rate limited per IP). */
async function freshAccount(f: Fixtures, i: number, net: number): Promise<{ token: string; password: string }> {
  const name = `a${net}_${i}_${randomBytes(4).toString("hex")}`;
  const password = "bench-password-123";
  const made = await f.run({
    method: "POST",
    path: "/api/auth/signup",
    headers: { "cf-connecting-ip": `10.${net}.${(i >> 8) & 255}.${i & 255}` },
    body: { email: `${name}@bench.local`, username: name, password },
  });
  return { token: String(made.json().token), password };
}

/** No focus session running (ends the running one, untimed). */
async function noFocus(f: Fixtures) {
  const active = (await f.api("GET", "/api/focus/active")).json();
  const running = active?.session ?? active;
  if (running?.id && (running.status === "active" || running.status === "paused"))
    await f.api("POST", `/api/focus/sessions/${running.id}/abandon`);
}
const startFocus = async (f: Fixtures) => {
  await noFocus(f);
  return id(f.api("POST", "/api/focus/sessions", { duration_s: 1500, label: "bench" }));
};

const newLoop = (f: Fixtures, as = f.user, visibility = "private") =>
  id(f.api("POST", "/api/studio/loops", { name: "bench", bars: 4, bpm: 120, color: "#336699", visibility }, as));
const newItem = (f: Fixtures) => id(f.api("POST", "/api/market/items", { name: `bench ${randomUUID()}`, price: 5 }));
const buy = async (f: Fixtures) =>
  (await f.api("POST", "/api/market/purchases", { item_id: await newItem(f) })).json().purchase.id as string;
const newConversation = (f: Fixtures) => id(f.api("POST", "/api/assistant/conversations", { title: "bench" }));

/** Shared read fixtures, made once per stack. */
export async function prepare(f: Fixtures): Promise<void> {
  const ids = f.ids;
  ids.inbox = await id(f.api("POST", "/api/user/inbox", { title: "bench" }));
  ids.library = await id(f.api("POST", "/api/focus/libraries", { name: "bench" }));
  ids.track = await id(f.api("POST", `/api/focus/libraries/${ids.library}/tracks`, TRACK));
  ids.todo = await id(f.api("POST", "/api/todos", { title: "bench" }));
  ids.loop = await newLoop(f);
  ids.othersLoop = await newLoop(f, f.other, "public");
  ids.song = await id(f.api("POST", "/api/studio/songs", { title: "bench", bpm: 100 }));
  ids.item = await newItem(f);
  ids.purchase = await buy(f);
  ids.conversation = await newConversation(f);
  ids.focus = await startFocus(f);
  ids.audio = await id(f.run(wavUpload(f)));
  ids.upload = await newUpload(f);
  ids.cursor = String((await f.api("GET", "/api/sync/changes?limit=1000")).json().cursor);
}

const newUpload = async (f: Fixtures) =>
  id(
    f.api("POST", "/api/audio/uploads", { filename: "bench.wav", content_type: "audio/wav", size: 16044 }),
    "upload_id",
  );
const part = (f: Fixtures, upload: string): Req => ({
  method: "PUT",
  path: `/api/audio/uploads/${upload}/parts/1`,
  headers: { ...auth(f.user, true), "content-type": "application/octet-stream" },
  body: wav(),
});

const TRACK = { title: "bench", url: "https://example.com/bench.mp3" };

const ASSISTANT_TWO =
  "an assistant message: the history is read, then the model is asked, then its answer committed — the model call sits between two database round trips";

type OpenApiDoc = { paths: Record<string, Record<string, any>> };

/**
 * The five operations of every declared record type, from the OpenAPI
 * document the bench reads anyway (what is served, not what is declared):
 * a create whose request body carries an `example` (the declaration's
 * `sample`, workers/http/crud.ts) and the list/get/update/delete beside it.
 * Edits change the first free-text field of the update body; each create
 * sample first deletes the one made before it (untimed), so a small quota
 * never runs out. An explicit entry in FIXTURES wins.
 */
export function declaredFixtures(doc: OpenApiDoc): Record<string, OpFixture> {
  const out: Record<string, OpFixture> = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    const sample = item.post?.requestBody?.content?.["application/json"]?.example as
      Record<string, unknown> | undefined;
    const byId = doc.paths[`${path}/{id}`];
    if (!sample || !byId?.put || !byId.get || !byId.delete || !item.get) continue;
    const props = (byId.put.requestBody?.content?.["application/json"]?.schema?.properties ?? {}) as Record<
      string,
      any
    >;
    const [text, schema] =
      Object.entries(props).find(([, p]) => p.type === "string" && !p.enum && !p.format && !p.pattern) ?? [];
    const edit = (i: number) =>
      text ? { [text]: `${String(sample[text] ?? "bench")} ${i}`.slice(0, schema.maxLength ?? 100) } : sample;
    const one = async (f: Fixtures) => (f.ids[`crud ${path}`] ??= await id(f.api("POST", path, sample)));
    const made = `made ${path}`;
    out[item.get.operationId] = { make: get(path), status: 200 };
    out[item.post.operationId] = {
      async make(f) {
        await one(f);
        const before = f.ids[made];
        if (before) await f.api("DELETE", `${path}/${before}`);
        const fresh = randomUUID();
        f.ids[made] = fresh;
        return mut(f, "POST", path, { id: fresh, ...sample });
      },
      status: 201,
    };
    out[byId.get.operationId] = { make: async (f) => get(`${path}/${await one(f)}`)(f), status: 200 };
    out[byId.put.operationId] = {
      make: async (f, i) => mut(f, "PUT", `${path}/${await one(f)}`, edit(i)),
      status: 200,
    };
    out[byId.delete.operationId] = {
      make: async (f) => mut(f, "DELETE", `${path}/${await id(f.api("POST", path, sample))}`),
      status: 204,
    };
  }
  return out;
}

export const FIXTURES: Record<string, OpFixture> = {
  health: { make: () => ({ method: "GET", path: "/api/health" }), status: 200 },
  // Deployed (no demo account configured): 200 with null, so a signed-out page logs no 404.
  getDemoLogin: { make: () => ({ method: "GET", path: "/api/demo" }), status: 200 },
  currentSession: { make: get("/api/auth/session"), status: 200 },

  signup: {
    make: (_f, i) => {
      const name = `s${i}_${randomBytes(4).toString("hex")}`.replace("-", "m");
      return {
        method: "POST",
        path: "/api/auth/signup",
        headers: { "cf-connecting-ip": `10.9.${(i >> 8) & 255}.${i & 255}` },
        body: { email: `${name}@bench.local`, username: name, password: "bench-password-123" },
      };
    },
    status: 201,
  },
  login: {
    make: (f) => ({ method: "POST", path: "/api/auth/login", body: f.login }),
    status: 200,
    twoTrips:
      "signing in: the account's password hash is read and checked (PBKDF2, in the Worker) before its session is written",
  },
  logout: {
    make: async (f) => ({
      method: "POST",
      path: "/api/auth/logout",
      headers: { authorization: `Bearer ${(await sessionOf(f)).token}` },
    }),
    status: 204,
  },
  me: { make: get("/api/auth/me"), status: 200 },
  exportData: { make: get("/api/export"), status: 200 },
  importData: {
    // A small archive (the manifest and one new inbox item), as the export writes it.
    make: async (f) => ({
      method: "POST",
      path: "/api/import",
      headers: { ...auth(f.user, true), "content-type": "application/zip" },
      body: await smallArchive(f),
    }),
    status: 200,
    twoTrips:
      "an import: the reads that decide ids and the quota go with the session check, then every record in one batch",
  },
  listSessions: { make: get("/api/auth/sessions"), status: 200 },
  revokeSession: { make: async (f) => mut(f, "DELETE", `/api/auth/sessions/${(await sessionOf(f)).id}`), status: 204 },
  renameDevice: {
    make: async (f, i) => mut(f, "PUT", `/api/auth/sessions/${(await sessionOf(f)).id}`, { device_name: `Bench ${i}` }),
    status: 204,
  },
  deleteAccount: {
    // A fresh account per sample (signed up through the API: a real password hash).
    make: async (f, i) => {
      const { token: made, password } = await freshAccount(f, i, 7);
      return {
        method: "DELETE",
        path: "/api/auth/account",
        headers: { authorization: `Bearer ${made}`, "idempotency-key": randomUUID() },
        body: { password },
      };
    },
    status: 204,
    twoTrips:
      "deleting an account: the password hash is read and checked (PBKDF2, in the Worker) before anything is deleted",
  },
  changePassword: {
    make: async (f, i) => {
      const { token, password } = await freshAccount(f, i, 6);
      return {
        method: "POST",
        path: "/api/auth/password",
        headers: { authorization: `Bearer ${token}`, "idempotency-key": randomUUID() },
        body: { current_password: password, new_password: "another-bench-password" },
      };
    },
    status: 200,
    twoTrips:
      "changing a password: the current hash is read and checked (PBKDF2, in the Worker) before the new one is written",
  },
  revokeOtherSessions: {
    make: async (f) => {
      await sessionOf(f);
      return mut(f, "POST", "/api/auth/sessions/revoke_others");
    },
    status: 200,
  },
  createPersonalToken: { make: (f) => mut(f, "POST", "/api/auth/tokens", { name: "bench" }), status: 201 },

  getSettings: { make: get("/api/settings"), status: 200 },
  updateSettings: { make: (f, i) => mut(f, "PUT", "/api/settings", { ui: { bench: i } }), status: 200 },
  resetSettings: { make: (f) => mut(f, "DELETE", "/api/settings"), status: 200 },

  listInboxItems: { make: get("/api/user/inbox"), status: 200 },
  createInboxItem: {
    make: (f, i) => mut(f, "POST", "/api/user/inbox", { id: randomUUID(), title: `bench ${i}` }),
    status: 201,
  },
  getInboxItem: { make: getId((x) => `/api/user/inbox/${x.inbox}`), status: 200 },
  updateInboxItem: {
    make: (f, i) => mut(f, "PUT", `/api/user/inbox/${f.ids.inbox}`, { title: `bench ${i}` }),
    status: 200,
  },
  deleteInboxItem: {
    make: async (f) =>
      mut(f, "DELETE", `/api/user/inbox/${await id(f.api("POST", "/api/user/inbox", { title: "x" }))}`),
    status: 204,
  },

  startFocusSession: {
    make: async (f) => {
      await noFocus(f);
      return mut(f, "POST", "/api/focus/sessions", { id: randomUUID(), duration_s: 1500 });
    },
    status: 201,
  },
  listFocusSessions: { make: get("/api/focus/sessions"), status: 200 },
  getActiveFocusSession: { make: get("/api/focus/active"), status: 200 },
  pauseFocusSession: {
    make: async (f) => {
      await startFocus(f);
      return mut(f, "POST", "/api/focus/pause");
    },
    status: 200,
  },
  resumeFocusSession: {
    make: async (f) => {
      await startFocus(f);
      await f.api("POST", "/api/focus/pause");
      return mut(f, "POST", "/api/focus/resume");
    },
    status: 200,
  },
  endFocusSession: {
    // `complete` (it earns coins and achievements; `abandon` is a plain update).
    make: async (f) => mut(f, "POST", `/api/focus/sessions/${await startFocus(f)}/complete`),
    status: 200,
  },
  getFocusSession: { make: getId((x) => `/api/focus/sessions/${x.focus}`), status: 200 },

  listFocusLibraries: { make: get("/api/focus/libraries"), status: 200 },
  createFocusLibrary: { make: (f) => mut(f, "POST", "/api/focus/libraries", { name: "bench" }), status: 201 },
  getFocusLibrary: { make: getId((x) => `/api/focus/libraries/${x.library}`), status: 200 },
  updateFocusLibrary: {
    make: (f, i) => mut(f, "PUT", `/api/focus/libraries/${f.ids.library}`, { name: `bench ${i}` }),
    status: 200,
  },
  deleteFocusLibrary: {
    // With two tracks: the deletion takes its tracks with it.
    make: async (f) => {
      const lib = await id(f.api("POST", "/api/focus/libraries", { name: "gone" }));
      for (const t of ["a", "b"]) await f.api("POST", `/api/focus/libraries/${lib}/tracks`, { ...TRACK, title: t });
      return mut(f, "DELETE", `/api/focus/libraries/${lib}`);
    },
    status: 204,
  },
  toggleFocusLibraryFavorite: {
    make: (f) => mut(f, "POST", `/api/focus/libraries/${f.ids.library}/favorite`),
    status: 200,
  },
  addFocusTrack: {
    make: (f) => mut(f, "POST", `/api/focus/libraries/${f.ids.library}/tracks`, TRACK),
    status: 201,
  },
  updateFocusTrack: {
    make: (f, i) =>
      mut(f, "PUT", `/api/focus/libraries/${f.ids.library}/tracks/${f.ids.track}`, { title: `bench ${i}` }),
    status: 200,
  },
  deleteFocusTrack: {
    make: async (f) => {
      const t = await id(f.api("POST", `/api/focus/libraries/${f.ids.library}/tracks`, TRACK));
      return mut(f, "DELETE", `/api/focus/libraries/${f.ids.library}/tracks/${t}`);
    },
    status: 204,
  },

  listAudio: { make: get("/api/audio"), status: 200 },
  uploadAudio: {
    make: wavUpload,
    status: 201,
    twoTrips: "an upload's completion: the id and quota are read before the bytes go to R2, the record written after",
  },
  createUpload: {
    make: (f) => mut(f, "POST", "/api/audio/uploads", { filename: "b.wav", content_type: "audio/wav", size: 16044 }),
    status: 201,
    twoTrips:
      "an upload's start: the id and quota are read before R2 starts the upload, whose R2 id the row then records (R2 only after the session check)",
  },
  getUpload: { make: getId((x) => `/api/audio/uploads/${x.upload}`), status: 200 },
  abortUpload: { make: async (f) => mut(f, "DELETE", `/api/audio/uploads/${await newUpload(f)}`), status: 204 },
  uploadPart: {
    make: async (f) => part(f, await newUpload(f)),
    status: 200,
    twoTrips: "an upload part: the upload is read before its bytes go to R2, the part recorded after",
  },
  completeUpload: {
    make: async (f) => {
      const upload = await newUpload(f);
      await f.run(part(f, upload));
      return mut(f, "POST", `/api/audio/uploads/${upload}/complete`);
    },
    status: 201,
    twoTrips: "an upload's completion: the parts are read and R2 completes the object before the record is written",
  },
  getAudioMeta: { make: getId((x) => `/api/audio/${x.audio}/meta`), status: 200 },
  streamAudio: { make: getId((x) => `/api/audio/${x.audio}`), status: 200 },
  deleteAudio: {
    make: async (f) => mut(f, "DELETE", `/api/audio/${await id(f.run(wavUpload(f)))}`),
    status: 204,
  },

  listLoops: { make: get("/api/studio/loops"), status: 200 },
  createLoop: {
    make: (f) => mut(f, "POST", "/api/studio/loops", { name: "bench", bars: 4, bpm: 120, color: "#336699" }),
    status: 201,
  },
  getLoop: { make: getId((x) => `/api/studio/loops/${x.loop}`), status: 200 },
  updateLoop: { make: (f, i) => mut(f, "PUT", `/api/studio/loops/${f.ids.loop}`, { name: `bench ${i}` }), status: 200 },
  deleteLoop: { make: async (f) => mut(f, "DELETE", `/api/studio/loops/${await newLoop(f)}`), status: 204 },
  remixLoop: { make: (f) => mut(f, "POST", `/api/studio/loops/${f.ids.loop}/remix`, {}), status: 201 },
  getLoopLineage: { make: getId((x) => `/api/studio/loops/${x.loop}/lineage`), status: 200 },
  likeLoop: {
    // Each sample changes the like (unliked first, untimed): the counter moves.
    make: async (f) => {
      await f.api("DELETE", `/api/studio/loops/${f.ids.othersLoop}/like`);
      return mut(f, "PUT", `/api/studio/loops/${f.ids.othersLoop}/like`);
    },
    status: 200,
  },
  unlikeLoop: {
    make: async (f) => {
      await f.api("PUT", `/api/studio/loops/${f.ids.othersLoop}/like`);
      return mut(f, "DELETE", `/api/studio/loops/${f.ids.othersLoop}/like`);
    },
    status: 200,
  },
  countLoopPlay: { make: (f) => mut(f, "POST", `/api/studio/loops/${f.ids.othersLoop}/plays`), status: 202 },
  getStudioFeed: { make: get("/api/studio/feed"), status: 200 },
  listSongs: { make: get("/api/studio/songs"), status: 200 },
  createSong: {
    // With a timeline: the own-loops check (a trigger behind the user-row lock) is in the write's statement.
    make: (f) =>
      mut(f, "POST", "/api/studio/songs", {
        title: "bench",
        bpm: 100,
        timeline: [{ loop_id: f.ids.loop, start_bar: 0, repeat: 2 }],
      }),
    status: 201,
  },
  getSong: { make: getId((x) => `/api/studio/songs/${x.song}`), status: 200 },
  updateSong: {
    make: (f, i) =>
      mut(f, "PUT", `/api/studio/songs/${f.ids.song}`, {
        title: `bench ${i}`,
        timeline: [{ loop_id: f.ids.loop, start_bar: i, repeat: 1 }],
      }),
    status: 200,
  },
  deleteSong: {
    make: async (f) =>
      mut(f, "DELETE", `/api/studio/songs/${await id(f.api("POST", "/api/studio/songs", { title: "x", bpm: 90 }))}`),
    status: 204,
  },

  listMarketItems: { make: get("/api/market/items"), status: 200 },
  createMarketItem: {
    make: (f) => mut(f, "POST", "/api/market/items", { name: `b ${randomUUID()}`, price: 5 }),
    status: 201,
  },
  getMarketItem: { make: getId((x) => `/api/market/items/${x.item}`), status: 200 },
  updateMarketItem: { make: (f, i) => mut(f, "PUT", `/api/market/items/${f.ids.item}`, { price: 5 + i }), status: 200 },
  deleteMarketItem: { make: async (f) => mut(f, "DELETE", `/api/market/items/${await newItem(f)}`), status: 204 },
  getWallet: { make: get("/api/market/wallet"), status: 200 },
  buyMarketItem: {
    make: async (f) => mut(f, "POST", "/api/market/purchases", { item_id: await newItem(f), id: randomUUID() }),
    status: 201,
  },
  listPurchases: { make: get("/api/market/purchases"), status: 200 },
  getPurchase: { make: getId((x) => `/api/market/purchases/${x.purchase}`), status: 200 },
  refundPurchase: { make: async (f) => mut(f, "POST", `/api/market/purchases/${await buy(f)}/refund`), status: 200 },
  listTransactions: { make: get("/api/market/transactions"), status: 200 },
  listAchievements: { make: get("/api/market/rewards"), status: 200 },
  listRecommendations: { make: get("/api/market/recommendations"), status: 200 },

  listChanges: { make: getId((x) => `/api/sync/changes?since=${Number(x.cursor) - 3}`), status: 200 },
  listSnapshot: { make: get("/api/sync/snapshot?limit=500"), status: 200 },
  openSyncSocket: { make: get("/api/sync/ws"), status: 101, socket: true },

  listTodos: { make: get("/api/todos"), status: 200 },
  createTodo: { make: (f) => mut(f, "POST", "/api/todos", { id: randomUUID(), title: "bench" }), status: 201 },
  getTodo: { make: getId((x) => `/api/todos/${x.todo}`), status: 200 },
  updateTodo: { make: (f, i) => mut(f, "PUT", `/api/todos/${f.ids.todo}`, { title: `bench ${i}` }), status: 200 },
  deleteTodo: {
    make: async (f) => mut(f, "DELETE", `/api/todos/${await id(f.api("POST", "/api/todos", { title: "x" }))}`),
    status: 204,
  },

  listRecordHistory: { make: getId((x) => `/api/history?entity=todo&id=${x.todo}`), status: 200 },
  listTrash: { make: get("/api/trash"), status: 200 },
  restoreHistoryEntry: {
    // Each sample restores a todo deleted just before (untimed): a re-created record, the heavier case.
    make: async (f) => {
      const todo = await id(f.api("POST", "/api/todos", { title: "restore me" }));
      await f.api("DELETE", `/api/todos/${todo}`);
      const trash = (await f.api("GET", "/api/trash?page_size=100")).json() as {
        items: { id: string; record_id: string }[];
      };
      return mut(f, "POST", `/api/history/${trash.items.find((e) => e.record_id === todo)!.id}/restore`);
    },
    status: 200,
  },

  undoChange: {
    // Each sample undoes an edit made just before (untimed): the history lookup, the restore and its log entry.
    make: async (f) => {
      const todo = await id(f.api("POST", "/api/todos", { title: "undo me" }));
      const edited = (await f.api("PUT", `/api/todos/${todo}`, { title: "edited" })).json() as { version: number };
      return mut(f, "POST", "/api/history/undo", { entity: "todo", id: todo, version: edited.version });
    },
    status: 200,
  },
  undoToolCall: {
    // Each sample undoes an approved "add todo" (made untimed): the todo is deleted, the call marked undone.
    // As `other`: its two runs per sample must not spend `user`'s assistant rate limit (sendMessage, approveTools).
    make: async (f) => {
      const conv = await id(f.api("POST", "/api/assistant/conversations", { title: "bench" }, f.other));
      const state = (
        await f.api(
          "POST",
          `/api/assistant/conversations/${conv}/actions/send_message`,
          { content: "add todo bench" },
          f.other,
        )
      ).json();
      const call = state.pending_tool_calls[0].id as string;
      await f.api(
        "POST",
        `/api/assistant/conversations/${conv}/actions/approve_tools`,
        { approvals: [{ tool_call_id: call, approved: true }] },
        f.other,
      );
      return { method: "POST", path: `/api/assistant/tool-calls/${call}/undo`, headers: auth(f.other, true) };
    },
    status: 200,
  },

  createConversation: { make: (f) => mut(f, "POST", "/api/assistant/conversations", { title: "bench" }), status: 201 },
  listConversations: { make: get("/api/assistant/conversations"), status: 200 },
  getConversation: { make: getId((x) => `/api/assistant/conversations/${x.conversation}`), status: 200 },
  deleteConversation: {
    make: async (f) => mut(f, "DELETE", `/api/assistant/conversations/${await newConversation(f)}`),
    status: 204,
  },
  getConversationState: { make: getId((x) => `/api/assistant/conversations/${x.conversation}/state`), status: 200 },
  sendMessage: {
    // The case: `list todos` with the local rules model.
    make: async (f) =>
      mut(f, "POST", `/api/assistant/conversations/${await newConversation(f)}/actions/send_message`, {
        content: "list todos",
      }),
    status: 200,
    twoTrips: `${ASSISTANT_TWO}. This case (\`list todos\`): the rules model's first step is known from the message alone, so list_todos's read rides with the claim (db/client.ts \`prefetch\`); a remote model's reading tool is +1 (its read sits between two model steps)`,
  },
  approveTools: {
    make: async (f) => {
      const conv = await newConversation(f);
      const state = (
        await f.api("POST", `/api/assistant/conversations/${conv}/actions/send_message`, { content: "add todo bench" })
      ).json();
      const call = state.pending_tool_calls[0] as { id: string; name: string; input: Record<string, unknown> };
      // As the web app sends it: the call's name and input as the state showed them.
      return mut(f, "POST", `/api/assistant/conversations/${conv}/actions/approve_tools`, {
        approvals: [{ tool_call_id: call.id, approved: true, name: call.name, input: call.input }],
      });
    },
    status: 200,
    twoTrips: `${ASSISTANT_TWO}. The approved tool's write goes in the claim's transaction when the request names the call as the state showed it (the web app does; workers/assistant/approve-with-claim.ts); without the name and input it is 3 (the claim tells the Worker which tool to run)`,
  },

  mcp: {
    make: (f, i) => ({
      method: "POST",
      path: "/mcp",
      headers: { ...auth(f.user), accept: "application/json, text/event-stream" },
      body: { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "list_todos", arguments: {} } },
    }),
    status: 200,
  },
  mcpGet: { make: get("/mcp"), status: 405 },
  mcpDelete: { make: (f) => ({ method: "DELETE", path: "/mcp", headers: auth(f.user) }), status: 405 },
};
