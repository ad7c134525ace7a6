/**
 * Upload hardening (issue 14 item 12): the id is checked before R2 is asked
 * for anything, open multipart uploads count toward the quota, every attempt
 * writes its own R2 object (a losing racer can't delete the winner's bytes),
 * a body that breaks mid-stream is a 400, and a long upload keeps its
 * Idempotency-Key claim alive.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import worker from "../../workers/index";
import { as, BASE, signup } from "../support/api";
import { raw, sha256Hex, uploadAudio, uploadHeaders, wav } from "../support/audio";
import { withOwnerDb } from "../support/db";

const objectsOf = async (userId: string) =>
  (await env.AUDIO.list({ prefix: `u/${userId}/` })).objects.map((o) => o.key);

/** A request body we feed by hand: `push` bytes, then `end()`. */
function handFed() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    stream,
    push: (b: Uint8Array) => controller.enqueue(b),
    end: () => controller.close(),
  };
}

describe("upload hardening", () => {
  test("a multipart create reusing a taken id → 409 before anything is stored; the id stays the record's", async () => {
    const u = await signup();
    const file = (await uploadAudio(u.token, wav(1))).body;
    const r = await as(u).post("/api/audio/uploads", {
      id: file.id,
      filename: "again.wav",
      content_type: "audio/wav",
      size: 6_000_000,
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("id_conflict");
    const open = await withOwnerDb((db) => db.execute(sql`select 1 from audio_uploads where user_id = ${u.id}`));
    expect(open.rows.length).toBe(0);
    // Two creates racing for one new id: one wins, the other is a clean 409.
    const id = crypto.randomUUID();
    const create = () =>
      as(u).post("/api/audio/uploads", { id, filename: "race.wav", content_type: "audio/wav", size: 6_000_000 });
    const statuses = (await Promise.all([create(), create()])).map((x) => x.status).sort();
    expect(statuses).toEqual([201, 409]);
  });

  test("open multipart uploads count toward the quota with their declared size", async () => {
    const u = await signup();
    const small = { ...env, AUDIO_QUOTA_BYTES: "100000" } as any;
    const send = async (req: Request) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(req as any, small, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const json = (path: string, body: unknown) =>
      new Request(`${BASE}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const started = await send(
      json("/api/audio/uploads", { filename: "big.wav", content_type: "audio/wav", size: 60_000 }),
    );
    expect(started.status).toBe(201);
    const upload = (await started.json()) as any;
    // 60 000 reserved + 48 044 > 100 000: refused although nothing is stored yet.
    const bytes = wav(3);
    const direct = await send(
      new Request(`${BASE}/api/audio`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, ...uploadHeaders(bytes, "d.wav", "audio/wav") },
        body: bytes,
      }),
    );
    expect(direct.status).toBe(413);
    expect(((await direct.json()) as any).error.details).toMatchObject({ used_bytes: 60_000 });
    const second = await send(
      json("/api/audio/uploads", { filename: "big2.wav", content_type: "audio/wav", size: 60_000 }),
    );
    expect(second.status).toBe(413);
    // Aborting the open upload frees its reservation.
    const ctx = createExecutionContext();
    const aborted = await worker.fetch(
      new Request(`${BASE}/api/audio/uploads/${upload.upload_id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${u.token}` },
      }) as any,
      small,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(aborted.status).toBe(204);
    const retry = await send(
      new Request(`${BASE}/api/audio`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, ...uploadHeaders(bytes, "d.wav", "audio/wav") },
        body: bytes,
      }),
    );
    expect(retry.status).toBe(201);
  });

  test("two multipart creates that fit one at a time but not together: one 201, one 413, one reservation", async () => {
    const u = await signup();
    const small = { ...env, AUDIO_QUOTA_BYTES: "100000" } as any;
    // Both pass the check that rides with the session check; the call that records them re-checks under the lock.
    const create = async (name: string) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${BASE}/api/audio/uploads`, {
          method: "POST",
          headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
          body: JSON.stringify({ filename: name, content_type: "audio/wav", size: 60_000 }),
        }) as any,
        small,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res.status;
    };
    expect((await Promise.all([create("a.wav"), create("b.wav")])).sort()).toEqual([201, 413]);
    const open = await withOwnerDb((db) => db.execute(sql`select size from audio_uploads where user_id = ${u.id}`));
    expect(open.rows.map((r: any) => Number(r.size))).toEqual([60_000]);
  });

  test("two uploads racing for one new id with different bytes: the winner's bytes survive the loser's cleanup", async () => {
    const u = await signup();
    const id = crypto.randomUUID();
    const [a, b] = [wav(1, 8000, 11), wav(1, 8000, 12)];
    const results = await Promise.all([
      uploadAudio(u.token, a, "same.wav", { "x-audio-id": id }),
      uploadAudio(u.token, b, "same.wav", { "x-audio-id": id }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = results.find((r) => r.status === 201)!.body;
    const stored = new Uint8Array(await (await raw("GET", `/api/audio/${id}`, u.token)).arrayBuffer());
    expect(`sha256:${await sha256Hex(stored)}`).toBe(winner.checksum);
    expect(await objectsOf(u.id)).toHaveLength(1); // the loser removed its own object, only its own
    // Two racing retries of the same bytes: both get the one record.
    const same = wav(1, 8000, 13);
    const id2 = crypto.randomUUID();
    const twins = await Promise.all([
      uploadAudio(u.token, same, "twin.wav", { "x-audio-id": id2 }),
      uploadAudio(u.token, same, "twin.wav", { "x-audio-id": id2 }),
    ]);
    expect(twins.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(twins[0]!.body.id).toBe(twins[1]!.body.id);
    expect(await objectsOf(u.id)).toHaveLength(2);
  });

  test("a body that breaks mid-stream → 400 upload_interrupted, nothing stored", async () => {
    const u = await signup();
    const bytes = wav(2);
    // The first chunks arrive (past the sniffed head), then the connection breaks.
    let pulls = 0;
    const breaking = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulls < 4) c.enqueue(bytes.slice(pulls * 4096, ++pulls * 4096));
        else c.error(new Error("client went away"));
      },
    });
    // Straight into the Worker's fetch (not through the runtime's service boundary, which
    // would turn the error into an early end): the read really rejects, as a dropped connection does.
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${BASE}/api/audio`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, ...uploadHeaders(bytes, "cut.wav", "audio/wav") },
        body: breaking,
      }) as any,
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("upload_interrupted");
    expect((await as(u).get("/api/audio")).body.total).toBe(0);
  });

  test("a long upload renews its Idempotency-Key claim, so a retry meanwhile is 409 in progress, never a second run", async () => {
    const u = await signup();
    const key = crypto.randomUUID();
    const bytes = wav(2);
    const body = handFed();
    const headers = {
      authorization: `Bearer ${u.token}`,
      "idempotency-key": key,
      ...uploadHeaders(bytes, "slow.wav", "audio/wav"),
    };
    const pending = exports.default.fetch(
      new Request(`${BASE}/api/audio`, { method: "POST", headers, body: body.stream }),
    );
    body.push(bytes.slice(0, 4096));
    const claimedAt = async () =>
      (
        (
          await withOwnerDb((db) =>
            db.execute(sql`select created_at from idempotency_keys where user_id = ${u.id} and key = ${key}`),
          )
        ).rows[0] as any
      )?.created_at;
    let first: unknown;
    while (!(first = await claimedAt())) await new Promise((r) => setTimeout(r, 100));
    // Wait (on the database, not the clock) until the running request has renewed its claim.
    while (new Date((await claimedAt()) as string).getTime() === new Date(first as string).getTime())
      await new Promise((r) => setTimeout(r, 250));
    const retry = await raw("POST", "/api/audio", u.token, headers, wav(2));
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as any).error.code).toBe("idempotency_in_progress");
    body.push(bytes.slice(4096));
    body.end();
    const res = await pending;
    expect(res.status).toBe(201);
    expect((await as(u).get("/api/audio")).body.total).toBe(1);
  });
});
