/**
 * Issue 19: record ids are unique per user, so user B may hold a parent record
 * whose id user A also holds. For every record type with children, B's parent
 * must show none of A's children, B's writes must land in B's records only, and
 * deleting B's parent must leave A's intact. (A parent with a globally unique
 * id — a loop, a market item — can't be reused: B gets 409 and A's is untouched.)
 */
import { beforeAll, describe, expect, test } from "vitest";
import { as, call, signup, type TestUser } from "../support/api";
import { uploadAudio, wav } from "../support/audio";

// The first request loads the Worker's whole module graph (AI SDK, MCP SDK).
beforeAll(() => call("GET", "/api/health"), 120_000);

const C = "/api/assistant/conversations";
const L = "/api/focus/libraries";
const send = (u: TestUser, id: string, content: string) => as(u).post(`${C}/${id}/actions/send_message`, { content });
const state = async (u: TestUser, id: string) => {
  const r = await as(u).get(`${C}/${id}/state`);
  expect(r.status).toBe(200);
  return r.body;
};

describe("a reused conversation id (the reproduction of issue 19)", () => {
  test("B reads none of A's history, never writes into A's thread, and no request fails", async () => {
    const a = await signup();
    const b = await signup();
    const id = crypto.randomUUID();
    expect((await as(a).post(C, { id, title: "A's" })).status).toBe(201);
    expect((await as(a).post("/api/todos", { title: "SECRET" })).status).toBe(201);
    const listed = await send(a, id, "list todos");
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const aBefore = await state(a, id);
    expect(JSON.stringify(aBefore.messages)).toContain("SECRET");

    // B creates "its" conversation with A's id: free for B, and empty.
    const created = await as(b).post(C, { id });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe(1);
    const bState = await state(b, id);
    expect(bState.messages).toEqual([]);
    expect(bState.pending_tool_calls).toEqual([]);
    expect(JSON.stringify(bState)).not.toContain("SECRET");

    // B's send lands in B's thread only.
    const bSent = await send(b, id, "hello from B");
    expect(bSent.status, JSON.stringify(bSent.body)).toBe(200);
    expect(bSent.body.messages[0]).toMatchObject({ role: "user", content: "hello from B" });
    expect(JSON.stringify(bSent.body)).not.toContain("SECRET");
    const aAfter = await state(a, id);
    expect(aAfter.messages).toEqual(aBefore.messages);
    expect(JSON.stringify(aAfter)).not.toContain("hello from B");

    // Both send at the same moment, several times: no 5xx, each thread keeps its own dense order.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([send(a, id, `a ${round}`), send(b, id, `b ${round}`)]);
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const [aFinal, bFinal] = [await state(a, id), await state(b, id)];
    expect(aFinal.messages.filter((m: any) => m.role === "user").map((m: any) => m.content)).toEqual([
      "list todos",
      "a 0",
      "a 1",
      "a 2",
    ]);
    expect(bFinal.messages.filter((m: any) => m.role === "user").map((m: any) => m.content)).toEqual([
      "hello from B",
      "b 0",
      "b 1",
      "b 2",
    ]);
    for (const s of [aFinal, bFinal])
      expect(s.messages.map((m: any) => m.seq)).toEqual(s.messages.map((_: any, i: number) => i + 1));

    // Deleting B's conversation leaves A's whole.
    expect((await as(b).del(`${C}/${id}`)).status).toBe(204);
    expect((await state(a, id)).messages).toEqual(aFinal.messages);
    expect((await as(b).get(`${C}/${id}/state`)).status).toBe(404);
  });

  test("tool calls: B can't see, approve or deny A's pending call through a reused conversation id", async () => {
    const a = await signup();
    const b = await signup();
    const id = crypto.randomUUID();
    expect((await as(a).post(C, { id })).status).toBe(201);
    const pending = (await send(a, id, "add todo water plants")).body.pending_tool_calls[0];
    expect(pending).toMatchObject({ status: "pending_approval" });
    expect((await as(b).post(C, { id })).status).toBe(201);
    expect((await state(b, id)).pending_tool_calls).toEqual([]);
    // B's conversation isn't awaiting approval, and A's call is not B's either way.
    const approve = await as(b).post(`${C}/${id}/actions/approve_tools`, {
      approvals: [{ tool_call_id: pending.id, approved: true }],
    });
    expect([404, 409]).toContain(approve.status);
    // B's own pending call with the same conversation id: approving it leaves A's pending.
    const bPending = (await send(b, id, "add todo feed cat")).body.pending_tool_calls[0];
    const wrong = await as(b).post(`${C}/${id}/actions/approve_tools`, {
      approvals: [{ tool_call_id: pending.id, approved: true }],
    });
    expect(wrong.status).toBe(404);
    const ok = await as(b).post(`${C}/${id}/actions/approve_tools`, {
      approvals: [{ tool_call_id: bPending.id, approved: true }],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const aState = await state(a, id);
    expect(aState.conversation.status).toBe("awaiting_approval");
    expect(aState.pending_tool_calls.map((t: any) => t.id)).toEqual([pending.id]);
    expect((await as(a).get("/api/todos")).body.total).toBe(0);
    expect((await as(b).get("/api/todos")).body.items.map((t: any) => t.title)).toEqual(["feed cat"]);
    expect((await as(b).del(`${C}/${id}`)).status).toBe(204);
    expect((await state(a, id)).pending_tool_calls.map((t: any) => t.id)).toEqual([pending.id]);
  });
});

describe("a reused focus library id", () => {
  test("B's library shows none of A's tracks, B's track edits never shift A's, deleting B's leaves A's", async () => {
    const a = await signup();
    const b = await signup();
    const id = crypto.randomUUID();
    expect((await as(a).post(L, { id, name: "A's" })).status).toBe(201);
    for (const title of ["a0", "a1", "a2"])
      expect((await as(a).post(`${L}/${id}/tracks`, { title, url: `https://example.test/${title}.mp3` })).status).toBe(
        201,
      );
    const aTracks = async () =>
      (await as(a).get(`${L}/${id}`)).body.tracks.map((t: any) => [t.title, t.position, t.version]);
    const before = await aTracks();

    expect((await as(b).post(L, { id, name: "B's" })).status).toBe(201);
    expect((await as(b).get(`${L}/${id}`)).body.tracks).toEqual([]);
    // Inserting at the front shifts B's tracks only.
    const t1 = await as(b).post(`${L}/${id}/tracks`, { title: "b0", url: "https://example.test/b0.mp3" });
    const t2 = await as(b).post(`${L}/${id}/tracks`, { title: "b1", url: "https://example.test/b1.mp3", position: 0 });
    expect([t1.status, t2.status]).toEqual([201, 201]);
    expect((await as(b).put(`${L}/${id}/tracks/${t2.body.id}`, { position: 5 })).status).toBe(200);
    expect((await as(b).del(`${L}/${id}/tracks/${t1.body.id}`)).status).toBe(204);
    expect((await as(b).get(`${L}/${id}`)).body.tracks.map((t: any) => [t.title, t.position])).toEqual([["b1", 0]]);
    expect(await aTracks()).toEqual(before);

    expect((await as(b).del(`${L}/${id}`)).status).toBe(204);
    expect(await aTracks()).toEqual(before);
  });
});

describe("a reused audio id", () => {
  test("B's audio with A's id is B's own: A's tracks and references keep A's, deleting B's leaves them", async () => {
    const a = await signup();
    const b = await signup();
    const id = crypto.randomUUID();
    const bytes = wav(1);
    expect((await uploadAudio(a.token, bytes, "a.wav", { "x-audio-id": id })).status).toBe(201);
    const lib = (await as(a).post(L, { name: "A's" })).body;
    expect((await as(a).post(`${L}/${lib.id}/tracks`, { title: "uses audio", audio_id: id })).status).toBe(201);
    expect((await as(a).post("/api/references", { title: "ref", audio_id: id })).status).toBe(201);

    expect((await uploadAudio(b.token, wav(2, 8000, 9), "b.wav", { "x-audio-id": id })).status).toBe(201);
    // B's audio is not "in use" by A's track/reference: B deletes it.
    expect((await as(b).del(`/api/audio/${id}`)).status).toBe(204);
    expect((await as(a).get(`/api/audio/${id}/meta`)).body).toMatchObject({ id, filename: "a.wav" });
    expect((await as(a).get(`${L}/${lib.id}`)).body.tracks[0]).toMatchObject({ audio_id: id });
    // A's audio is still in use (by A's own records).
    expect((await as(a).del(`/api/audio/${id}`)).status).toBe(409);
  });
});

describe("globally unique parent ids can't be reused", () => {
  test("a loop id: B's create is refused and A's loop (likes, remixes) untouched", async () => {
    const a = await signup();
    const b = await signup();
    const id = crypto.randomUUID();
    const loop = { id, name: "A's", bars: 1, bpm: 100, color: "#112233", chord_progression: [], icon_sequence: [] };
    expect((await as(a).post("/api/studio/loops", loop)).status).toBe(201);
    const taken = await as(b).post("/api/studio/loops", { ...loop, name: "B's" });
    expect(taken.status).toBe(409);
    expect((await as(a).get(`/api/studio/loops/${id}`)).body).toMatchObject({ name: "A's", version: 1 });
    expect((await as(b).get(`/api/studio/loops/${id}`)).status).toBe(404); // private
  });

  test("a market item id: B's reward is refused and A's stays A's", async () => {
    const a = await signup();
    const b = await signup();
    const id = crypto.randomUUID();
    expect((await as(a).post("/api/market/items", { id, name: "A's treat", price: 5 })).status).toBe(201);
    expect((await as(b).post("/api/market/items", { id, name: "B's", price: 5 })).status).toBe(409);
    expect((await as(a).get(`/api/market/items/${id}`)).body).toMatchObject({ name: "A's treat", version: 1 });
  });
});
