import { describe, expect, test } from "vitest";
import { as, signup } from "../support/api";

describe("settings", () => {
  test("defaults, partial merge, bounds, reset", async () => {
    const u = await signup();
    const s = await as(u).get("/api/settings");
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({
      theme: "system",
      accessibility: { reduced_motion: false, high_contrast: false, font_scale: 1 },
      ui: {},
      sync: { mode: "auto", poll_interval_s: 30 },
      version: 1,
    });
    const put = await as(u).put("/api/settings", { theme: "dark", accessibility: { font_scale: 2 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      theme: "dark",
      accessibility: { font_scale: 2, high_contrast: false },
      version: 2,
    });
    expect(put.headers.get("x-sync-cursor")).toMatch(/^\d+$/);

    for (const bad of [
      { accessibility: { font_scale: 0.5 } },
      { accessibility: { font_scale: 2.01 } },
      { sync: { poll_interval_s: 4 } },
      { sync: { poll_interval_s: 301 } },
      { sync: { mode: "carrier-pigeon" } },
      { theme: "blue" },
      { ui: { blob: "x".repeat(4100) } },
      { unknown: 1 },
      { theme: 1 },
    ]) {
      const r = await as(u).put("/api/settings", bad);
      expect(r.status, JSON.stringify(bad)).toBe(422);
    }
    // ui is bounded after merging too.
    expect((await as(u).put("/api/settings", { ui: { a: "x".repeat(2500) } })).status).toBe(200);
    expect((await as(u).put("/api/settings", { ui: { b: "x".repeat(2500) } })).status).toBe(422);
    const after = (await as(u).get("/api/settings")).body;
    expect(after.version).toBe(3);
    expect(Object.keys(after.ui)).toEqual(["a"]);

    const reset = await as(u).del("/api/settings");
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ theme: "system", ui: {}, accessibility: { font_scale: 1 }, version: 4 });
    const changes = (await as(u).get("/api/sync/changes")).body.changes.filter((c: any) => c.entity === "settings");
    expect(changes.map((c: any) => c.version)).toEqual([1, 2, 3, 4]);
  });
});

describe("inbox", () => {
  test("create, read, update, delete; tags normalised; validation", async () => {
    const u = await signup();
    const created = await as(u).post("/api/user/inbox", {
      title: "  Call Bob ",
      description: "about the loop",
      tags: ["Work", "work", "phone"],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: "Call Bob",
      description: "about the loop",
      tags: ["work", "phone"],
      version: 1,
    });
    expect(created.body.created_at).toMatch(/Z$/);
    expect(created.headers.get("etag")).toBe('"1"');
    const id = created.body.id;
    expect((await as(u).get(`/api/user/inbox/${id}`)).body).toEqual(created.body);
    const updated = await as(u).put(`/api/user/inbox/${id}`, { tags: [] });
    expect(updated.body).toMatchObject({ title: "Call Bob", tags: [], version: 2 });
    expect((await as(u).del(`/api/user/inbox/${id}`)).status).toBe(204);
    expect((await as(u).get(`/api/user/inbox/${id}`)).status).toBe(404);
    expect((await as(u).del(`/api/user/inbox/${id}`)).status).toBe(404);

    for (const bad of [
      {},
      { title: "" },
      { title: "   " },
      { title: "x".repeat(501) },
      { title: 5 },
      { title: "ok", description: "x".repeat(10_001) },
      { title: "ok", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
      { title: "ok", tags: ["x".repeat(51)] },
      { title: "ok", tags: "a,b" },
      { title: "ok", id: "not-a-uuid" },
      { title: "ok", extra: true },
    ]) {
      expect((await as(u).post("/api/user/inbox", bad)).status, JSON.stringify(bad)).toBe(422);
    }
    expect((await as(u).get("/api/user/inbox")).body.total).toBe(0);
  });

  test("pagination newest first, tag filter, bad params → 400", async () => {
    const u = await signup();
    for (let i = 0; i < 7; i++)
      await as(u).post("/api/user/inbox", { title: `n${i}`, tags: i % 2 ? ["odd"] : ["even"] });
    const p1 = await as(u).get("/api/user/inbox?page=1&page_size=3");
    expect(p1.body).toMatchObject({ page: 1, page_size: 3, total: 7 });
    expect(p1.body.items.map((i: any) => i.title)).toEqual(["n6", "n5", "n4"]);
    const p3 = await as(u).get("/api/user/inbox?page=3&page_size=3");
    expect(p3.body.items.map((i: any) => i.title)).toEqual(["n0"]);
    const beyond = await as(u).get("/api/user/inbox?page=9&page_size=3");
    expect(beyond.body).toMatchObject({ items: [], total: 7 });
    const odd = await as(u).get("/api/user/inbox?tag=ODD");
    expect(odd.body.total).toBe(3);
    expect(odd.body.items.every((i: any) => i.tags.includes("odd"))).toBe(true);
    for (const q of ["page=0", "page_size=101", "page=x", "bogus=1"])
      expect((await as(u).get(`/api/user/inbox?${q}`)).status, q).toBe(400);
  });
});

describe("focus sessions", () => {
  test("one running at a time; pause/resume math from timestamps; complete; history", async () => {
    const u = await signup();
    expect((await as(u).get("/api/focus/active")).body).toEqual({ session: null });
    expect((await as(u).post("/api/focus/pause")).status).toBe(409);
    const started = await as(u).post("/api/focus/sessions", { duration_s: 1500, label: "write" });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: "active", duration_s: 1500, label: "write", paused_total_s: 0 });
    // Time only runs down (how far it ran while the request was served is the machine's business).
    expect(started.body.remaining_s).toBeGreaterThan(0);
    expect(started.body.remaining_s).toBeLessThanOrEqual(1500);
    expect(Date.parse(started.body.ends_at) - Date.parse(started.body.started_at)).toBe(1_500_000);
    const second = await as(u).post("/api/focus/sessions", { duration_s: 600 });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("focus_session_running");

    const paused = await as(u).post("/api/focus/pause");
    expect(paused.body).toMatchObject({ status: "paused", ends_at: null });
    expect(paused.body.paused_at).toBeTruthy();
    const frozen = paused.body.remaining_s;
    await new Promise((r) => setTimeout(r, 1100));
    const active = (await as(u).get("/api/focus/active")).body.session;
    expect(active.status).toBe("paused");
    expect(active.remaining_s).toBe(frozen); // the clock stops while paused
    expect((await as(u).post("/api/focus/pause")).status).toBe(409);

    const resumed = await as(u).post("/api/focus/resume");
    expect(resumed.body.status).toBe("active");
    expect(resumed.body.paused_total_s).toBeGreaterThanOrEqual(1);
    expect(resumed.body.remaining_s).toBeLessThanOrEqual(frozen);
    expect(resumed.body.remaining_s).toBeGreaterThan(0);
    // The pause moved the end by exactly the time spent paused.
    // (ends_at is whole milliseconds, truncated; paused_total_s has microseconds.)
    expect(
      Math.abs(
        Date.parse(resumed.body.ends_at) - Date.parse(started.body.ends_at) - resumed.body.paused_total_s * 1000,
      ),
    ).toBeLessThan(1);

    const done = await as(u).post(`/api/focus/sessions/${started.body.id}/complete`);
    expect(done.body).toMatchObject({ status: "completed", ends_at: null });
    expect((await as(u).post(`/api/focus/sessions/${started.body.id}/abandon`)).status).toBe(409);
    expect((await as(u).get("/api/focus/active")).body.session).toBeNull();

    const next = await as(u).post("/api/focus/sessions", { duration_s: 60 });
    expect(next.status).toBe(201);
    expect((await as(u).post(`/api/focus/sessions/${next.body.id}/abandon`)).body.status).toBe("abandoned");
    const hist = await as(u).get("/api/focus/sessions");
    expect(hist.body.total).toBe(2);
    expect(hist.body.items.map((s: any) => s.status)).toEqual(["abandoned", "completed"]);

    const stranger = await signup();
    expect((await as(stranger).post(`/api/focus/sessions/${next.body.id}/complete`)).status).toBe(404);
    expect((await as(u).post(`/api/focus/sessions/not-an-id/complete`)).status).toBe(404);
    for (const bad of [{}, { duration_s: 59 }, { duration_s: 14_401 }, { duration_s: 1.5 }, { duration_s: "60" }]) {
      expect((await as(u).post("/api/focus/sessions", bad)).status, JSON.stringify(bad)).toBe(422);
    }
  });
});
