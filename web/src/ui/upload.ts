// Audio uploads (SPEC §5 Audio): XMLHttpRequest, because fetch can't report
// upload progress. Up to 100 MB goes in one `POST /api/audio`; larger files
// use the multipart API, one 10 MiB part at a time, with progress summed over
// the parts. No UI in here (components/Uploader.tsx is the face).
//
// Uploads are not queued offline: a file can be hundreds of MB and the outbox
// lives in IndexedDB. The record the server creates reaches every device
// through the change feed like any other write.
//
// Retries are safe: the audio id is generated here once (X-Audio-Id, or `id`
// for multipart), so a retry after a lost response finds the stored file
// instead of storing it twice. Each attempt has its own Idempotency-Key: a
// cancelled attempt may have left a stored 4xx (a body shorter than its
// Content-Length) under its key, which must not be replayed to the retry.
import { ErrorCode } from "@protocol/rules.ts";
import { defaultFetch, describeError, httpError, HttpError, NetworkError, send, type HttpResult } from "../api/http.ts";
import type { Audio, Upload } from "../api/types.ts";
import { uuid } from "../sync/deps.ts";
import { bytes } from "./format.ts";

/** One request body at most (workers/protocol/audio.ts MAX_DIRECT_UPLOAD_BYTES); larger files use multipart. */
export const MULTIPART_THRESHOLD = 100_000_000;
/** Every part but the last has this size (R2: equal parts of at least 5 MiB). */
export const PART_SIZE = 10 * 1024 * 1024;
/** An upload that sends nothing for this long is treated as a dropped connection. */
const STALL_MS = 60_000;
/** JSON calls around multipart (create, resume, complete) can take a while for big files. */
const JSON_TIMEOUT_MS = 120_000;

export interface UploadProgress {
  /** Bytes sent so far (the server may still be storing the last of them). */
  loaded: number;
  total: number;
}

export interface UploadOptions {
  /** The audio record's id; generated when omitted. */
  id?: string;
  onProgress?: (p: UploadProgress) => void;
  /** Overrides for tests. */
  multipartThreshold?: number;
  partSize?: number;
}

/** The user cancelled. */
export class UploadAborted extends Error {
  override name = "UploadAborted";
}

/** File types browsers report for audio containers that aren't `audio/*`. */
const TYPE_ALIASES: Record<string, string> = {
  "video/webm": "audio/webm",
  "video/mp4": "audio/mp4",
  "video/ogg": "audio/ogg",
  "application/ogg": "audio/ogg",
  "application/octet-stream": "",
};
const EXTENSION_TYPES: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg",
  flac: "audio/flac",
  m4a: "audio/mp4",
  aac: "audio/aac",
  webm: "audio/webm",
};

/**
 * The Content-Type to send. The server sniffs the bytes anyway; this only has
 * to be audio/* for audio. Anything clearly not audio (text/plain, image/png)
 * is sent as is so the server answers 415 with its own explanation.
 */
export function audioTypeFor(file: { name: string; type: string }): string {
  const t = file.type.toLowerCase();
  if (t.startsWith("audio/")) return t;
  const alias = TYPE_ALIASES[t];
  if (t && alias === undefined) return t;
  if (alias) return alias;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? "";
  return EXTENSION_TYPES[ext] ?? "audio/x-unknown";
}

/** One XHR with upload progress and a stall watchdog; resolves with any HTTP answer. */
function xhrSend(
  method: string,
  url: string,
  body: Blob,
  headers: Record<string, string>,
  onSent: (loaded: number) => void,
  bind: (abort: (() => void) | null) => void,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    let stalled = false;
    let cancelled = false;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        xhr.abort();
      }, STALL_MS);
    };
    const finish = () => {
      clearTimeout(watchdog);
      bind(null);
    };
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      arm();
      onSent(e.loaded);
    });
    xhr.upload.addEventListener("load", () => {
      clearTimeout(watchdog); // all sent; the server may take a moment to store it
      onSent(body.size);
    });
    xhr.addEventListener("load", () => {
      finish();
      let parsed: unknown = null;
      if ((xhr.getResponseHeader("content-type") ?? "").includes("json")) {
        try {
          parsed = JSON.parse(xhr.responseText);
        } catch {
          parsed = null;
        }
      }
      const raw = xhr.getAllResponseHeaders();
      const h = new Headers();
      for (const line of raw.trim().split(/[\r\n]+/)) {
        const i = line.indexOf(":");
        if (i > 0) h.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      resolve({ status: xhr.status, ok: xhr.status >= 200 && xhr.status < 300, headers: h, body: parsed });
    });
    xhr.addEventListener("error", () => {
      finish();
      reject(new NetworkError("The upload was interrupted"));
    });
    xhr.addEventListener("abort", () => {
      finish();
      reject(
        cancelled
          ? new UploadAborted("Upload cancelled")
          : new NetworkError(stalled ? "The upload stalled" : "The upload was interrupted"),
      );
    });
    bind(() => {
      cancelled = true;
      xhr.abort();
    });
    arm();
    xhr.send(body);
  });
}

type Phase = "idle" | "uploading" | "done" | "failed" | "cancelled";

/**
 * One file's upload. `start()` runs it (again, after a failure: a multipart
 * upload resumes with the parts the server already has); `cancel()` stops it
 * and discards a multipart upload on the server.
 */
export class AudioUpload {
  readonly id: string;
  readonly total: number;
  readonly multipart: boolean;
  loaded = 0;
  private phase: Phase = "idle";
  private attempt = 0;
  private abortCurrent: (() => void) | null = null;
  private uploadId: string | null = null;
  private readonly partSize: number;

  constructor(
    readonly file: File,
    private readonly opts: UploadOptions = {},
  ) {
    this.id = opts.id ?? uuid();
    this.total = file.size;
    this.multipart = file.size > (opts.multipartThreshold ?? MULTIPART_THRESHOLD);
    this.partSize = opts.partSize ?? PART_SIZE;
  }

  get state(): Phase {
    return this.phase;
  }

  /** Resolves with the stored audio record; rejects with HttpError, NetworkError or UploadAborted. */
  async start(): Promise<Audio> {
    if (this.phase === "uploading") throw new Error("already uploading");
    this.phase = "uploading";
    this.attempt += 1;
    this.report(this.multipart ? this.loaded : 0);
    try {
      const audio = this.multipart ? await this.sendParts() : await this.sendWhole();
      this.phase = "done";
      this.report(this.total);
      return audio;
    } catch (err) {
      if (this.phase === "uploading") this.phase = err instanceof UploadAborted ? "cancelled" : "failed";
      throw err;
    }
  }

  cancel(): void {
    if (this.phase === "done" || this.phase === "cancelled") return;
    this.phase = "cancelled";
    this.abortCurrent?.();
    this.abortCurrent = null;
    const uploadId = this.uploadId;
    this.uploadId = null;
    this.report(0);
    if (uploadId) {
      // Best effort: the cleanup job aborts whatever this misses.
      void send(defaultFetch, `/api/audio/uploads/${uploadId}`, {
        method: "DELETE",
        headers: { "Idempotency-Key": `abort-${uploadId}` },
      }).catch(() => undefined);
    }
  }

  private report(loaded: number): void {
    this.loaded = Math.min(this.total, loaded);
    this.opts.onProgress?.({ loaded: this.loaded, total: this.total });
  }

  private key(what: string): string {
    return `${what}-${this.id}-${this.attempt}`;
  }

  /** Throws UploadAborted if cancel() ran while we awaited something. */
  private check(): void {
    if (this.phase !== "uploading") throw new UploadAborted("Upload cancelled");
  }

  private async sendWhole(): Promise<Audio> {
    const res = await xhrSend(
      "POST",
      "/api/audio",
      this.file,
      {
        "Content-Type": audioTypeFor(this.file),
        "X-Filename": encodeURIComponent(this.file.name || "audio"),
        "X-Audio-Id": this.id,
        "Idempotency-Key": this.key("audio"),
      },
      (n) => this.report(n),
      (abort) => (this.abortCurrent = abort),
    );
    if (!res.ok) throw httpError(res);
    return res.body as Audio;
  }

  private async json<T>(path: string, method: string, body?: unknown, key?: string): Promise<T> {
    const res = await send(defaultFetch, path, {
      method,
      body,
      headers: { "Idempotency-Key": key },
      timeoutMs: JSON_TIMEOUT_MS,
    });
    this.check();
    if (!res.ok) throw httpError(res);
    return res.body as T;
  }

  private async sendParts(): Promise<Audio> {
    const size = this.total;
    const count = Math.ceil(size / this.partSize);
    let have = new Map<number, number>();
    if (this.uploadId) {
      // Resuming after a failure: keep the parts the server already holds.
      try {
        const upload = await this.json<Upload>(`/api/audio/uploads/${this.uploadId}`, "GET");
        have = new Map(upload.parts.map((p) => [p.part_number, p.size]));
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404)) throw err;
        this.uploadId = null; // expired or cleaned up: start over
      }
    }
    if (!this.uploadId) {
      const created = await this.json<Upload>(
        "/api/audio/uploads",
        "POST",
        { id: this.id, filename: this.file.name || "audio", content_type: audioTypeFor(this.file), size },
        this.key("upload"),
      );
      this.uploadId = created.upload_id;
    }
    const uploadId = this.uploadId;
    const partBytes = (n: number) => Math.min(this.partSize, size - (n - 1) * this.partSize);
    let done = 0;
    for (let n = 1; n <= count; n++) if (have.get(n) === partBytes(n)) done += partBytes(n);
    this.report(done);

    for (let n = 1; n <= count; n++) {
      if (have.get(n) === partBytes(n)) continue;
      this.check();
      const start = (n - 1) * this.partSize;
      const chunk = this.file.slice(start, start + partBytes(n));
      const before = done;
      const res = await xhrSend(
        "PUT",
        `/api/audio/uploads/${uploadId}/parts/${n}`,
        chunk,
        { "Content-Type": "application/octet-stream", "Idempotency-Key": this.key(`part${n}`) },
        (sent) => this.report(before + sent),
        (abort) => (this.abortCurrent = abort),
      );
      if (!res.ok) throw httpError(res);
      done += chunk.size;
      this.report(done);
    }
    this.check();
    const audio = await this.json<Audio>(
      `/api/audio/uploads/${uploadId}/complete`,
      "POST",
      undefined,
      this.key("complete"),
    );
    this.uploadId = null;
    return audio;
  }
}

/** 1_536_000 → "1.5 MB", in the locale (ui/format.ts). */
export const formatBytes = bytes;

/** A readable sentence for whatever an upload threw. */
export function describeUploadError(err: unknown, filename: string): string {
  const name = `“${filename}”`;
  if (err instanceof UploadAborted) return "Cancelled.";
  if (err instanceof NetworkError)
    return err.message === "The upload stalled"
      ? "The upload stalled. Check your connection, then retry."
      : "The connection dropped before the upload finished. Retry when you're back online.";
  if (err instanceof HttpError) {
    if (err.status === 415) return `${name} isn't a supported audio file (MP3, WAV, OGG/Opus, FLAC, M4A/AAC or WebM).`;
    if (err.code === ErrorCode.quota_exceeded) {
      const d = (err.details ?? {}) as { quota_bytes?: number; used_bytes?: number };
      const room =
        typeof d.quota_bytes === "number" && typeof d.used_bytes === "number"
          ? ` You've used ${formatBytes(d.used_bytes)} of ${formatBytes(d.quota_bytes)}.`
          : "";
      return `Not enough audio storage for ${name}.${room} Delete some audio, then retry.`;
    }
    if (err.status === 413) return `${name} is too large: ${err.message}`;
    if (err.status === 401) return "Your session ended. Sign in again, then retry.";
    if (err.status >= 500) return "The server couldn't store the file just now. Retry in a moment.";
    return err.message;
  }
  return describeError(err);
}
