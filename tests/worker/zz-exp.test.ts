import { env } from "cloudflare:workers";
import { test } from "vitest";
import worker from "../../workers/index";
import { createExecutionContext } from "cloudflare:test";

test("exp", async () => {
  const bytes = new Uint8Array(1000).fill(7);
  const r1 = new Request("http://x/a", { method: "POST", body: bytes });
  console.log("auto CL", r1.headers.get("content-length"));
  const r2 = new Request("http://x/a", { method: "POST", body: bytes, headers: { "content-length": "1000" } });
  console.log("explicit CL", r2.headers.get("content-length"));
  const rs = new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
  const r3 = new Request("http://x/a", { method: "POST", body: rs, headers: { "content-length": "1000" } });
  console.log("stream explicit CL", r3.headers.get("content-length"));
  // FixedLengthStream mismatch
  const f = new FixedLengthStream(10);
  const src = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(5)); c.close(); } });
  const p = src.pipeTo(f.writable).catch((e) => "pipe:" + String(e));
  const put = env.AUDIO.put("k1", f.readable).catch((e: unknown) => "put:" + String(e));
  console.log(await Promise.all([p, put]));
  const f2 = new FixedLengthStream(10);
  const src2 = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(15)); c.close(); } });
  const p2 = src2.pipeTo(f2.writable).catch((e) => "pipe:" + String(e));
  const put2 = env.AUDIO.put("k2", f2.readable).catch((e: unknown) => "put:" + String(e));
  console.log(await Promise.all([p2, put2]));
  const obj = await env.AUDIO.put("k3", bytes);
  console.log(obj?.etag, obj?.httpEtag, JSON.stringify(obj?.checksums));
  const g = await env.AUDIO.get("k3", { range: { offset: 990, length: 10 } });
  console.log(g?.range, g && (await g.arrayBuffer()).byteLength);
  const g2 = await env.AUDIO.get("k3", { range: { offset: 2000, length: 10 } }).catch((e) => "err " + e);
  console.log("bad range", g2);
  const d = new crypto.DigestStream("SHA-256");
  const w = d.getWriter(); await w.write(bytes); await w.close();
  console.log(new Uint8Array(await d.digest).length);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("http://x/api/health") as any, env as any, ctx);
  console.log(res.status);
});
