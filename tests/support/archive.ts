/**
 * An export archive read back, for tests in workerd (a response body) and in
 * Node (a downloaded file's bytes) alike: nothing here needs either runtime.
 */
import { ZipReader } from "../../workers/lib/zip";

/** Every entry of an archive, buffered (tests only). */
export async function readArchive(body: ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array<ArrayBuffer>) {
  const stream = body instanceof ReadableStream ? body : new Blob([body]).stream();
  const zip = new ZipReader(stream);
  const files = new Map<string, Uint8Array>();
  for (let e = await zip.next(); e; e = await zip.next()) files.set(e.name, await zip.readAll(e, 1 << 28));
  return files;
}
