/** Audio test fixtures: tiny valid headers of every supported format, deterministic bytes, raw requests. */
import { exports } from "cloudflare:workers";
import { BASE } from "./api";
import { checkResponse } from "./contract";

/** Deterministic pseudo-random bytes (xorshift32) for `seed`. */
export function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** A 44-byte PCM WAV header for `dataBytes` of 16-bit mono at `rate` Hz. */
export function wavHeader(dataBytes: number, rate = 8000): Uint8Array {
  const h = new DataView(new ArrayBuffer(44));
  const put = (at: number, s: string) => [...s].forEach((ch, i) => h.setUint8(at + i, ch.charCodeAt(0)));
  put(0, "RIFF");
  h.setUint32(4, 36 + dataBytes, true);
  put(8, "WAVE");
  put(12, "fmt ");
  h.setUint32(16, 16, true);
  h.setUint16(20, 1, true); // PCM
  h.setUint16(22, 1, true); // mono
  h.setUint32(24, rate, true);
  h.setUint32(28, rate * 2, true); // byte rate
  h.setUint16(32, 2, true);
  h.setUint16(34, 16, true);
  put(36, "data");
  h.setUint32(40, dataBytes, true);
  return new Uint8Array(h.buffer);
}

export const wav = (seconds: number, rate = 8000, seed = 7) => {
  const data = rate * 2 * seconds;
  return join(wavHeader(data, rate), noise(data, seed));
};

/** A FLAC "fLaC" + STREAMINFO header declaring `samples` at `rate` Hz. */
function flacHeader(rate: number, samples: number): Uint8Array {
  const b = new Uint8Array(42);
  b.set(ascii("fLaC"));
  b.set([0x80, 0, 0, 34], 4); // last block, STREAMINFO, 34 bytes
  const s = 8 + 10;
  b[s] = (rate >> 12) & 0xff;
  b[s + 1] = (rate >> 4) & 0xff;
  b[s + 2] = ((rate & 0x0f) << 4) | (1 << 1); // 2 channels
  b[s + 3] = (15 << 4) | Math.floor(samples / 2 ** 32); // 16 bits per sample
  new DataView(b.buffer).setUint32(s + 4, samples % 2 ** 32);
  return b;
}

/** One file's first bytes per format (followed by noise), with what the server should sniff. */
export const samples: { name: string; bytes: Uint8Array; format: string; contentType: string; duration?: number }[] = [
  {
    name: "tag.mp3",
    bytes: join(
      ascii("ID3"),
      Uint8Array.of(4, 0, 0, 0, 0, 0, 10),
      new Uint8Array(10),
      Uint8Array.of(0xff, 0xfb, 0x90, 0x64),
      noise(3000, 2),
    ),
    format: "mp3",
    contentType: "audio/mpeg",
  },
  {
    name: "frames.mp3",
    bytes: join(Uint8Array.of(0xff, 0xfb, 0x90, 0x64), noise(3000, 3)),
    format: "mp3",
    contentType: "audio/mpeg",
  },
  {
    name: "voice.opus",
    bytes: join(ascii("OggS"), new Uint8Array(24), ascii("OpusHead"), noise(3000, 4)),
    format: "ogg",
    contentType: "audio/ogg",
  },
  {
    name: "song.flac",
    bytes: join(flacHeader(44_100, 44_100 * 90), noise(3000, 5)),
    format: "flac",
    contentType: "audio/flac",
    duration: 90,
  },
  {
    name: "memo.m4a",
    bytes: join(Uint8Array.of(0, 0, 0, 0x20), ascii("ftypM4A "), new Uint8Array(4), ascii("M4A isom"), noise(3000, 6)),
    format: "m4a",
    contentType: "audio/mp4",
  },
  {
    name: "raw.aac",
    bytes: join(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc), noise(3000, 7)),
    format: "aac",
    contentType: "audio/aac",
  },
  {
    name: "clip.webm",
    bytes: join(
      Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84),
      ascii("webm"),
      noise(3000, 8),
    ),
    format: "webm",
    contentType: "audio/webm",
  },
  { name: "tone.wav", bytes: wav(1), format: "wav", contentType: "audio/wav", duration: 1 },
];

export async function sha256Hex(data: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** A request straight to the Worker; the raw Response (bodies may be binary). */
export async function raw(
  method: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
  body?: BodyInit,
): Promise<Response> {
  const res = await exports.default.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...headers },
      body: body ?? null,
    }),
  );
  // Checked against the OpenAPI document (a clone, so the caller can still read the body).
  const type = res.headers.get("content-type") ?? "";
  const copy = /json/.test(type) ? await res.clone().json() : null;
  await checkResponse(method, path, res, copy);
  return res;
}

export const uploadHeaders = (bytes: Uint8Array, filename: string, type = "audio/mpeg") => ({
  "content-type": type,
  "content-length": String(bytes.length),
  "x-filename": encodeURIComponent(filename),
});

/** POST /api/audio; the parsed JSON response. */
export async function uploadAudio(
  token: string,
  bytes: Uint8Array,
  filename = "clip.wav",
  extra: Record<string, string> = {},
) {
  const res = await raw(
    "POST",
    "/api/audio",
    token,
    { ...uploadHeaders(bytes, filename, "audio/wav"), ...extra },
    bytes,
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}
