/**
 * Streaming helpers for uploads: the body is never buffered whole. `peek`
 * reads just the first bytes (for sniffing) and hands back a stream that
 * replays them followed by the rest; `measured` feeds a stream into a
 * FixedLengthStream (R2 needs the length up front) while hashing it with
 * SHA-256 and checking the byte count.
 */
import { AppError } from "../errors";
import { toHex } from "./crypto";
import { ErrorCode } from "../protocol/rules";

/** The client's body failed mid-stream (aborted, connection lost): the client's problem, 400. */
export const interrupted = () =>
  new AppError(400, ErrorCode.upload_interrupted, "The request body ended abnormally before all of it arrived.");

export async function peek(
  body: ReadableStream<Uint8Array>,
  min: number,
): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < min) {
    const { done, value } = await reader.read().catch(() => {
      throw interrupted();
    });
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  const head = chunks.length === 1 ? chunks[0]! : concat(chunks, size);
  let replayed = head.byteLength === 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!replayed) {
        replayed = true;
        return controller.enqueue(head);
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { head, stream };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const lengthMismatch = (length: number) =>
  new AppError(400, ErrorCode.length_mismatch, `The body does not match its Content-Length (${length} bytes).`);

/**
 * `stream` carries exactly `length` bytes of `body`; `sha256` resolves to the
 * hex digest once all of it has flowed (or rejects with 400 length_mismatch).
 */
export function measured(
  body: ReadableStream<Uint8Array>,
  length: number,
): { stream: ReadableStream; sha256: Promise<string> } {
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  let seen = 0;
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > length) throw lengthMismatch(length);
      await hasher.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      if (seen !== length) throw lengthMismatch(length);
      await hasher.close();
    },
  });
  const fixed = new FixedLengthStream(length);
  const flowed = body.pipeThrough(tap).pipeTo(fixed.writable);
  return { stream: fixed.readable, sha256: flowed.then(async () => toHex(await digest.digest)) };
}

/**
 * Runs the R2 write that consumes a `measured` stream; when the body was the
 * problem (length mismatch, client gone) that error wins over R2's, as a 400.
 */
export async function storeMeasured<T>(
  put: Promise<T>,
  sha256: Promise<string>,
): Promise<{ result: T; sha256: string }> {
  try {
    const [result, hex] = await Promise.all([put, sha256]);
    return { result, sha256: hex };
  } catch (err) {
    const bodyErr = await sha256.then(
      () => undefined,
      (e: unknown) => e ?? interrupted(),
    );
    if (bodyErr === undefined) throw err;
    throw bodyErr instanceof AppError ? bodyErr : interrupted();
  }
}
