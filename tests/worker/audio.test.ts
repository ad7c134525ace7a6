import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { cleanupAudio } from "../../workers/jobs/audio-cleanup";
import { runScheduled } from "../../workers/jobs/scheduled";
import worker from "../../workers/index";
import { as, signup } from "../support/api";
import { noise, raw, samples, sha256Hex, uploadAudio, uploadHeaders, wav, wavHeader } from "../support/audio";
import { openOwnerDb } from "../support/db";

const MiB = 1024 * 1024;
const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const errorCode = async (res: Response) => ((await res.json()) as any).error.code;
const objectsOf = async (userId: string) =>
  (await env.AUDIO.list({ prefix: `u/${userId}/` })).objects.map((o) => o.key);

describe("audio upload and playback", () => {
  test("upload → list → ranges at start, middle and end → 304 on ETag → delete", async () => {
    const u = await signup();
    const file = wav(3); // 3 s of 16-bit mono 8 kHz: 48 044 bytes
    const up = await uploadAudio(u.token, file, "Morning rain ☔.wav");
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect(up.body).toMatchObject({
      filename: "Morning rain ☔.wav",
      content_type: "audio/wav",
      format: "wav",
      size: file.length,
      checksum: `sha256:${await sha256Hex(file)}`,
      duration_s: 3,
      version: 1,
    });
    expect(up.headers.get("x-sync-cursor")).toMatch(/^\d+$/);
    const id = up.body.id;

    const list = await as(u).get("/api/audio");
    expect(list.body).toMatchObject({ page: 1, page_size: 50, total: 1 });
    expect(list.body.items).toEqual([up.body]);
    expect((await as(u).get(`/api/audio/${id}/meta`)).body).toEqual(up.body);

    const full = await raw("GET", `/api/audio/${id}`, u.token);
    expect(full.status).toBe(200);
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(full.headers.get("content-type")).toBe("audio/wav");
    expect(full.headers.get("content-length")).toBe(String(file.length));
    const etag = full.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f-]+"$/);
    expect(await bytesOf(full)).toEqual(file);

    const ranges: [string, number, number][] = [
      ["bytes=0-99", 0, 99], // start: the WAV header and a bit
      ["bytes=20000-20999", 20000, 20999], // middle
      ["bytes=-500", file.length - 500, file.length - 1], // suffix: the end
      [`bytes=${file.length - 10}-`, file.length - 10, file.length - 1], // open-ended
      [`bytes=48000-999999`, 48000, file.length - 1], // clamped to the end
    ];
    for (const [range, first, last] of ranges) {
      const r = await raw("GET", `/api/audio/${id}`, u.token, { range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get("content-range")).toBe(`bytes ${first}-${last}/${file.length}`);
      expect(r.headers.get("content-length")).toBe(String(last - first + 1));
      expect(await bytesOf(r)).toEqual(file.slice(first, last + 1));
    }
    const unsatisfiable = await raw("GET", `/api/audio/${id}`, u.token, { range: `bytes=${file.length}-` });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get("content-range")).toBe(`bytes */${file.length}`);
    expect(await errorCode(unsatisfiable)).toBe("range_not_satisfiable");
    // If-Range with another ETag: the whole file instead of the range.
    const stale = await raw("GET", `/api/audio/${id}`, u.token, { range: "bytes=0-9", "if-range": '"other"' });
    expect(stale.status).toBe(200);
    await stale.body?.cancel();

    const cached = await raw("GET", `/api/audio/${id}`, u.token, { "if-none-match": etag });
    expect(cached.status).toBe(304);
    expect(cached.body).toBeNull();
    expect(cached.headers.get("etag")).toBe(etag);

    expect((await as(u).del(`/api/audio/${id}`, { "if-match": '"1"' })).status).toBe(204);
    expect((await raw("GET", `/api/audio/${id}`, u.token)).status).toBe(404);
    expect(await objectsOf(u.id)).toEqual([]);
    const changes = (await as(u).get("/api/sync/changes")).body.changes.filter((c: any) => c.entity === "audio");
    expect(changes.map((c: any) => [c.op, c.id, c.version])).toEqual([
      ["upsert", id, 1],
      ["delete", id, 2],
    ]);
    expect(changes[0].data).toEqual(up.body);
  });

  test("every supported format is sniffed from its bytes; anything else → 415 and nothing stored", async () => {
    const u = await signup();
    for (const s of samples) {
      const r = await uploadAudio(u.token, s.bytes, s.name);
      expect(r.status, s.name).toBe(201);
      expect(r.body, s.name).toMatchObject({
        format: s.format,
        content_type: s.contentType,
        duration_s: s.duration ?? null,
      });
    }
    const text = new TextEncoder().encode(
      "Dear diary, today I renamed a text file to .mp3 and hoped for the best.\n".repeat(10),
    );
    const bad = await raw("POST", "/api/audio", u.token, uploadHeaders(text, "notes.mp3", "audio/mpeg"), text);
    expect(bad.status).toBe(415);
    expect(await errorCode(bad)).toBe("unsupported_audio_format");
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...noise(200));
    expect((await raw("POST", "/api/audio", u.token, uploadHeaders(png, "cover.mp3"), png)).status).toBe(415);
    const heic = Uint8Array.of(0, 0, 0, 0x18, ...new TextEncoder().encode("ftypheic"), ...noise(200));
    expect((await raw("POST", "/api/audio", u.token, uploadHeaders(heic, "photo.m4a"), heic)).status).toBe(415);
    expect((await as(u).get("/api/audio")).body.total).toBe(samples.length);
    expect((await objectsOf(u.id)).length).toBe(samples.length);
  });

  test("request checks: 415 media type, 411 without Content-Length, 413 over 100 MB, 400 without a filename or with a short body", async () => {
    const u = await signup();
    const file = wav(1);
    const headers = uploadHeaders(file, "a.wav", "audio/wav");
    const json = await raw("POST", "/api/audio", u.token, { ...headers, "content-type": "text/plain" }, file);
    expect(json.status).toBe(415);
    expect(await errorCode(json)).toBe("unsupported_media_type");
    // A JSON body on the upload route keeps the JSON rules (256 KB limit): never buffered whole.
    const asJson = { ...headers, "content-type": "application/json" };
    expect(await errorCode(await raw("POST", "/api/audio", u.token, asJson, file))).toBe("unsupported_media_type");
    const bigJson = noise(300 * 1024);
    const tooBig = await raw(
      "POST",
      "/api/audio",
      u.token,
      { ...asJson, "content-length": String(bigJson.length) },
      bigJson,
    );
    expect(tooBig.status).toBe(413);
    const { "content-length": _cl, ...noLength } = headers;
    const stream = new ReadableStream({ start: (c) => (c.enqueue(file), c.close()) });
    const chunked = await raw("POST", "/api/audio", u.token, noLength, stream);
    expect(chunked.status).toBe(411);
    expect(await errorCode(chunked)).toBe("length_required");
    const huge = await raw("POST", "/api/audio", u.token, { ...headers, "content-length": "100000001" }, file);
    expect(huge.status).toBe(413);
    expect(await errorCode(huge)).toBe("payload_too_large");
    const { "x-filename": _f, ...noName } = headers;
    expect(await errorCode(await raw("POST", "/api/audio", u.token, noName, file))).toBe("filename_required");
    // Fewer bytes than announced: refused, nothing kept.
    const short = await raw(
      "POST",
      "/api/audio",
      u.token,
      { ...headers, "content-length": String(file.length + 100) },
      file,
    );
    expect(short.status).toBe(400);
    expect(await errorCode(short)).toBe("length_mismatch");
    expect((await as(u).get("/api/audio")).body.total).toBe(0);
    expect(await objectsOf(u.id)).toEqual([]);
  });

  test("per-user quota → 413 quota_exceeded, nothing stored (env override: 100 000 bytes)", async () => {
    const u = await signup();
    const small = { ...env, AUDIO_QUOTA_BYTES: "100000" } as any;
    const post = async (bytes: Uint8Array) => {
      const ctx = createExecutionContext();
      const req = new Request("http://localhost/api/audio", {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, ...uploadHeaders(bytes, "q.wav", "audio/wav") },
        body: bytes,
      });
      const res = await worker.fetch(req as any, small, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await post(wav(3))).status).toBe(201); // 48 044 bytes
    const over = await post(wav(4)); // + 64 044 > 100 000
    expect(over.status).toBe(413);
    const body = (await over.json()) as any;
    expect(body.error).toMatchObject({
      code: "quota_exceeded",
      details: { quota_bytes: 100000, used_bytes: 48044, requested_bytes: 64044 },
    });
    expect((await as(u).get("/api/audio")).body.total).toBe(1);
    expect((await objectsOf(u.id)).length).toBe(1);
    // Parallel uploads that fit one at a time but not together: the quota check is serialized per user.
    const racer = await signup();
    const race = (bytes: Uint8Array) => {
      const ctx = createExecutionContext();
      const req = new Request("http://localhost/api/audio", {
        method: "POST",
        headers: { authorization: `Bearer ${racer.token}`, ...uploadHeaders(bytes, "r.wav", "audio/wav") },
        body: bytes,
      });
      return worker.fetch(req as any, small, ctx);
    };
    const statuses = (await Promise.all([race(wav(4, 8000, 1)), race(wav(4, 8000, 2))])).map((r) => r.status).sort();
    expect(statuses).toEqual([201, 413]);
    expect((await as(racer).get("/api/audio")).body.total).toBe(1);
    expect((await objectsOf(racer.id)).length).toBe(1);
    // Multipart is checked up front too.
    const ctx = createExecutionContext();
    const mp = await worker.fetch(
      new Request("http://localhost/api/audio/uploads", {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
        body: JSON.stringify({ filename: "big.wav", content_type: "audio/wav", size: 60_000 }),
      }) as any,
      small,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(mp.status).toBe(413);
  });

  test("another user's audio is 404 everywhere; ids are never revealed", async () => {
    const a = await signup();
    const b = await signup();
    const { body } = await uploadAudio(a.token, wav(1));
    for (const path of [`/api/audio/${body.id}`, `/api/audio/${body.id}/meta`])
      expect((await raw("GET", path, b.token)).status, path).toBe(404);
    expect((await as(b).del(`/api/audio/${body.id}`)).status).toBe(404);
    expect((await as(b).get("/api/audio")).body.total).toBe(0);
    expect((await as(a).get("/api/audio/not-a-uuid")).status).toBe(404);
    // A retried create with a client id returns the record; another user's id is free for them (ids are per user).
    const id = crypto.randomUUID();
    const first = await uploadAudio(a.token, wav(1), "x.wav", { "x-audio-id": id });
    expect(first.status).toBe(201);
    const again = await uploadAudio(a.token, wav(1), "x.wav", { "x-audio-id": id });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const theirs = await uploadAudio(b.token, wav(1, 8000, 99), "x.wav", { "x-audio-id": id });
    expect(theirs.status).toBe(201);
    expect(theirs.body.checksum).not.toBe(first.body.checksum);
    expect((await raw("GET", `/api/audio/${id}/meta`, a.token)).status).toBe(200);
  });

  test("idempotent upload: the same key replays the first response without storing twice", async () => {
    const u = await signup();
    const file = wav(1);
    const key = { "idempotency-key": crypto.randomUUID() };
    const first = await uploadAudio(u.token, file, "once.wav", key);
    const second = await uploadAudio(u.token, file, "once.wav", key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect((await as(u).get("/api/audio")).body.total).toBe(1);
    expect((await uploadAudio(u.token, file, "other-name.wav", key)).status).toBe(422);
  });

  test("deleting audio used by a track or a reference → 409 audio_in_use", async () => {
    const u = await signup();
    const { body: file } = await uploadAudio(u.token, wav(2));
    const lib = (await as(u).post("/api/focus/libraries", { name: "Rain" })).body;
    const track = (await as(u).post(`/api/focus/libraries/${lib.id}/tracks`, { title: "Rain", audio_id: file.id }))
      .body;
    const ref = (await as(u).post("/api/references", { title: "Field recording", audio_id: file.id })).body;
    const refused = await as(u).del(`/api/audio/${file.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "audio_in_use", details: { tracks: 1, references: 1 } });
    await as(u).del(`/api/focus/libraries/${lib.id}/tracks/${track.id}`);
    expect((await as(u).del(`/api/audio/${file.id}`)).body.error.details).toEqual({ tracks: 0, references: 1 });
    await as(u).put(`/api/references/${ref.id}`, { audio_id: null });
    expect((await as(u).del(`/api/audio/${file.id}`)).status).toBe(204);
  });
});

/** 21 × 5 MiB parts (105 MiB, over the single-request limit), generated on the fly; part 1 starts with a WAV header. */
const PARTS = 21;
const TOTAL = PARTS * 5 * MiB;
const part = (n: number) => {
  const bytes = noise(5 * MiB, n);
  if (n === 1) bytes.set(wavHeader(TOTAL - 44, 44_100));
  return bytes;
};

describe("multipart upload", () => {
  test("a 105 MiB file in 21 parts assembles byte-exact; ranges at start, middle and end match", async () => {
    const u = await signup();
    const created = await as(u).post("/api/audio/uploads", {
      filename: "long set.wav",
      content_type: "audio/wav",
      size: TOTAL,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { upload_id: uploadId, audio_id: audioId } = created.body;
    expect(created.body).toMatchObject({ size: TOTAL, parts: [], min_part_size: 5 * MiB });

    const putPart = (n: number, bytes: Uint8Array) =>
      raw(
        "PUT",
        `/api/audio/uploads/${uploadId}/parts/${n}`,
        u.token,
        { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
        bytes,
      );
    // Part 1 must be audio.
    const text = new TextEncoder().encode("not audio at all ".repeat(400_000));
    expect((await putPart(1, text)).status).toBe(415);

    const whole = new crypto.DigestStream("SHA-256");
    const wholeWriter = whole.getWriter();
    const partDigests: Uint8Array[] = [];
    for (let n = 1; n <= PARTS; n++) {
      const bytes = part(n);
      await wholeWriter.write(bytes);
      partDigests.push(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
      const r = await putPart(n, bytes);
      expect(r.status, `part ${n}`).toBe(200);
      expect(((await r.json()) as any).part_number).toBe(n);
      if (n === 10) {
        // Completing too early: a part is missing.
        const early = await as(u).post(`/api/audio/uploads/${uploadId}/complete`);
        expect(early.status).toBe(422); // 10 × 5 MiB ≠ declared size
      }
    }
    await wholeWriter.close();
    const expectedSha = [...new Uint8Array(await whole.digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    const composite = await sha256Hex(Uint8Array.from(partDigests.flatMap((d) => [...d])));
    const progress = await as(u).get(`/api/audio/uploads/${uploadId}`);
    expect(progress.body.parts.map((p: any) => p.part_number)).toEqual(Array.from({ length: PARTS }, (_, i) => i + 1));

    const done = await as(u).post(`/api/audio/uploads/${uploadId}/complete`);
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body).toMatchObject({
      id: audioId,
      filename: "long set.wav",
      format: "wav",
      size: TOTAL,
      checksum: `sha256:${composite}-${PARTS}`,
      duration_s: Math.round(((TOTAL - 44) / (44_100 * 2)) * 1000) / 1000,
    });
    expect((await as(u).get(`/api/audio/uploads/${uploadId}`)).status).toBe(404); // bookkeeping gone

    const check = async (first: number, last: number, expected: Uint8Array) => {
      const r = await raw("GET", `/api/audio/${audioId}`, u.token, { range: `bytes=${first}-${last}` });
      expect(r.status).toBe(206);
      expect(r.headers.get("content-range")).toBe(`bytes ${first}-${last}/${TOTAL}`);
      expect(await bytesOf(r)).toEqual(expected);
    };
    await check(0, 4095, part(1).slice(0, 4096));
    const mid = 10 * 5 * MiB; // spans parts 10 and 11
    await check(mid - 1000, mid + 999, new Uint8Array([...part(10).slice(-1000), ...part(11).slice(0, 1000)]));
    await check(TOTAL - 4096, TOTAL - 1, part(PARTS).slice(-4096));

    // The whole object, streamed through SHA-256 without holding it.
    const full = await raw("GET", `/api/audio/${audioId}`, u.token);
    expect(full.headers.get("content-length")).toBe(String(TOTAL));
    const digest = new crypto.DigestStream("SHA-256");
    await full.body!.pipeTo(digest);
    expect([...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, "0")).join("")).toBe(
      expectedSha,
    );
  }, 180_000);

  test("rules: part numbers, declared size, abort", async () => {
    const u = await signup();
    const { upload_id: id } = (
      await as(u).post("/api/audio/uploads", { filename: "a.wav", content_type: "audio/wav", size: 6 * MiB })
    ).body;
    const put = (n: string, bytes: Uint8Array) =>
      raw(
        "PUT",
        `/api/audio/uploads/${id}/parts/${n}`,
        u.token,
        { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
        bytes,
      );
    expect((await put("0", wav(1))).status).toBe(400);
    expect((await put("10001", wav(1))).status).toBe(400);
    expect((await put("2", noise(7 * MiB))).status).toBe(413); // beyond the declared size
    expect((await as(u).post(`/api/audio/uploads/${id}/complete`)).body.error.code).toBe("upload_incomplete");
    expect(
      (await as(u).post("/api/audio/uploads", { filename: "a.txt", content_type: "text/plain", size: 10 })).status,
    ).toBe(422);
    const other = await signup();
    expect((await put("1", wav(1))).status).toBe(200);
    expect(
      (await raw("PUT", `/api/audio/uploads/${id}/parts/1`, other.token, { "content-length": "10" }, noise(10))).status,
    ).toBe(404);
    expect((await as(other).del(`/api/audio/uploads/${id}`)).status).toBe(404);
    expect((await as(u).del(`/api/audio/uploads/${id}`)).status).toBe(204);
    expect((await as(u).get(`/api/audio/uploads/${id}`)).status).toBe(404);
  });
});

describe("cleanup job", () => {
  test("removes abandoned multipart uploads and orphaned objects; keeps live and fresh ones", async () => {
    const u = await signup();
    const live = (await uploadAudio(u.token, wav(1))).body;
    const orphan = `u/${u.id}/${crypto.randomUUID()}`;
    await env.AUDIO.put(orphan, noise(100));
    const foreign = `u/${u.id}/not-an-audio-id`;
    await env.AUDIO.put(foreign, noise(10));
    const started = (
      await as(u).post("/api/audio/uploads", { filename: "x.wav", content_type: "audio/wav", size: 6 * MiB })
    ).body;
    const r2 = await env.AUDIO.createMultipartUpload("probe"); // an R2 upload we can see aborted
    await r2.abort();

    const handle = openOwnerDb();
    try {
      // Now: nothing is old enough.
      expect(await cleanupAudio(handle.db, env.AUDIO, { userId: u.id })).toEqual({
        abortedUploads: 0,
        deletedOrphans: 0,
      });
      // 25 hours later.
      const later = new Date(Date.now() + 25 * 3_600_000);
      const [row] = (
        await handle.db.execute(sql`select r2_upload_id, r2_key from audio_uploads where id = ${started.upload_id}`)
      ).rows as any[];
      const [liveRow] = (await handle.db.execute(sql`select r2_key from audio_files where id = ${live.id}`))
        .rows as any[];
      expect(await cleanupAudio(handle.db, env.AUDIO, { userId: u.id, now: later })).toEqual({
        abortedUploads: 1,
        deletedOrphans: 1,
      });
      expect((await as(u).get(`/api/audio/uploads/${started.upload_id}`)).status).toBe(404);
      await expect(
        env.AUDIO.resumeMultipartUpload(row.r2_key, row.r2_upload_id).uploadPart(1, wav(1)),
      ).rejects.toThrow();
      expect(liveRow.r2_key).toMatch(new RegExp(`^u/${u.id}/${live.id}/[0-9a-f-]{36}$`)); // one key per attempt
      expect((await objectsOf(u.id)).sort()).toEqual([liveRow.r2_key, foreign].sort());
      expect((await raw("GET", `/api/audio/${live.id}`, u.token)).status).toBe(200);
    } finally {
      await handle.close();
    }
  });

  test("runs in the scheduled run (the Cron Trigger's jobs), scoped to this test's user", async () => {
    const u = await signup();
    const started = (
      await as(u).post("/api/audio/uploads", { filename: "x.wav", content_type: "audio/wav", size: 6 * MiB })
    ).body;
    const fresh = `u/${u.id}/${crypto.randomUUID()}`;
    await env.AUDIO.put(fresh, noise(10));
    const handle = openOwnerDb();
    await handle.db.execute(
      sql`update audio_uploads set created_at = now() - interval '25 hours' where id = ${started.upload_id}`,
    );
    await handle.close();

    // The handler itself runs unscoped; that it runs every job is tests/worker/jobs.test.ts's.
    const ctx = createExecutionContext();
    const report = await runScheduled(env, new Date(), (p) => ctx.waitUntil(p), { userId: u.id });
    await waitOnExecutionContext(ctx);
    expect(report.audio).toEqual({ ok: true, counts: { abortedUploads: 1, deletedOrphans: 0 } });
    expect((await as(u).get(`/api/audio/uploads/${started.upload_id}`)).status).toBe(404);
    expect(await objectsOf(u.id)).toEqual([fresh]); // within the grace period: an upload may be about to record it
  });
});
