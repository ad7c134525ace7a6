/**
 * A streaming, store-only ZIP writer and reader (PKWARE APPNOTE 6.3: local
 * headers, data descriptors, central directory; no compression, no Zip64).
 *
 * Why our own (~150 lines) rather than a package: the export must stream
 * entries whose size is unknown until written (JSON pages from Postgres) and
 * pipe R2 bodies through, and the import must read the same format back as a
 * stream, without the central directory at the end. Stored entries with data
 * descriptors are the one layout that does both; client-zip writes it but
 * cannot read, its CRC is WebAssembly compiled at run time (which workerd
 * refuses), and fflate's streaming reader can't find the end of a stored
 * entry written with a descriptor. Audio is already compressed, so "store"
 * costs little; archives are limited to 4 GiB and 65 535 entries (no Zip64).
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** Bit 3: sizes and CRC follow the data; bit 11: names are UTF-8. */
const FLAGS = 0x0808;
const MAX32 = 0xffffffff;

export interface ZipEntry {
  name: string;
  /** The entry's bytes, produced lazily (a page at a time, or an R2 body). */
  data: Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  modified?: Date;
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((Math.max(d.getUTCFullYear(), 1980) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

const header = (size: number, fill: (v: DataView) => void) => {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return b;
};

async function* chunks(data: ZipEntry["data"]): AsyncIterable<Uint8Array> {
  if (data instanceof ReadableStream) {
    const reader = data.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else yield* data;
}

/** The archive as a byte stream; entries are pulled one at a time, as the reader reads. */
export function zipStream(entries: AsyncIterable<ZipEntry>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  async function* bytes(): AsyncIterable<Uint8Array> {
    const central: Uint8Array[] = [];
    let offset = 0;
    let count = 0;
    for await (const entry of entries) {
      const name = encoder.encode(entry.name);
      const { time, date } = dosTime(entry.modified ?? new Date());
      const start = offset;
      const local = header(30, (v) => {
        v.setUint32(0, LOCAL, true);
        v.setUint16(4, 20, true);
        v.setUint16(6, FLAGS, true);
        v.setUint16(10, time, true);
        v.setUint16(12, date, true);
        v.setUint16(26, name.length, true);
      });
      yield local;
      yield name;
      offset += local.length + name.length;
      let crc = 0;
      let size = 0;
      for await (const chunk of chunks(entry.data)) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        yield chunk;
      }
      offset += size;
      if (offset > MAX32 || ++count > 0xffff) throw new Error("archive larger than 4 GiB or 65 535 entries");
      yield header(16, (v) => {
        v.setUint32(0, DESCRIPTOR, true);
        v.setUint32(4, crc, true);
        v.setUint32(8, size, true);
        v.setUint32(12, size, true);
      });
      offset += 16;
      central.push(
        header(46, (v) => {
          v.setUint32(0, CENTRAL, true);
          v.setUint16(4, 20, true);
          v.setUint16(6, 20, true);
          v.setUint16(8, FLAGS, true);
          v.setUint16(12, time, true);
          v.setUint16(14, date, true);
          v.setUint32(16, crc, true);
          v.setUint32(20, size, true);
          v.setUint32(24, size, true);
          v.setUint16(28, name.length, true);
          v.setUint32(42, start, true);
        }),
        name,
      );
    }
    const cdSize = central.reduce((n, b) => n + b.length, 0);
    yield* central;
    yield header(22, (v) => {
      v.setUint32(0, END, true);
      v.setUint16(8, count, true);
      v.setUint16(10, count, true);
      v.setUint32(12, cdSize, true);
      v.setUint32(16, offset, true);
    });
  }
  const it = bytes()[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** Reads what `zipStream` wrote (and any stored ZIP), front to back, without the central directory. */
export class ZipReader {
  private buf: Uint8Array = new Uint8Array(0);
  private done = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Bytes consumed so far (for error messages). */
  offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** Buffers at least `n` bytes (fewer only at the end of the stream). */
  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.done) {
      const { done, value } = await this.reader.read();
      if (done) this.done = true;
      else this.buf = this.buf.length ? concat(this.buf, value) : value;
    }
  }

  private async take(n: number): Promise<Uint8Array> {
    await this.fill(n);
    if (this.buf.length < n) throw new ZipError("the archive ends in the middle of an entry");
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** The next entry's header, or null at the central directory (the end of the entries). */
  async next(): Promise<{ name: string; size: number | null; flags: number } | null> {
    await this.fill(4);
    if (this.buf.length < 4) throw new ZipError("the archive ends before its central directory");
    const sig = view(this.buf).getUint32(0, true);
    if (sig === CENTRAL || sig === END) return null;
    if (sig !== LOCAL) throw new ZipError(`not a ZIP entry at byte ${this.offset}`);
    const h = view(await this.take(30));
    const flags = h.getUint16(6, true);
    if (h.getUint16(8, true) !== 0) throw new ZipError("compressed entries are not supported (store only)");
    const name = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      await this.take(h.getUint16(26, true)),
    );
    await this.take(h.getUint16(28, true)); // extra field
    return { name, size: flags & 8 ? null : h.getUint32(22, true), flags };
  }

  /**
   * The current entry's bytes, buffered (at most `max`). An entry written with
   * a data descriptor ends where a descriptor follows whose size and CRC match
   * what came before it.
   */
  async readAll(entry: { size: number | null; flags: number }, max: number): Promise<Uint8Array> {
    if (entry.size !== null) {
      if (entry.size > max) throw new ZipError("an entry is too large", 413);
      const data = (await this.take(entry.size)).slice();
      await this.descriptor(entry, data.length, crc32(data));
      return data;
    }
    for (let from = 0; ;) {
      await this.fill(from + 16 + 1);
      const at = findDescriptor(this.buf, from);
      if (at >= 0) {
        const data = (await this.take(at)).slice();
        await this.descriptor(entry, data.length, crc32(data));
        return data;
      }
      if (this.done) throw new ZipError("an entry has no end");
      from = Math.max(0, this.buf.length - 16);
      if (this.buf.length > max) throw new ZipError("an entry is too large", 413);
    }
  }

  /** The current entry's bytes as a stream of exactly `size` bytes (for an R2 put); the CRC is checked at the end. */
  stream(entry: { size: number | null; flags: number }, size: number): ReadableStream<Uint8Array> {
    let left = size;
    let crc = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (left === 0) {
          try {
            await this.descriptor(entry, size, crc);
            controller.close();
          } catch (err) {
            controller.error(err);
          }
          return;
        }
        await this.fill(1);
        if (this.buf.length === 0) return controller.error(new ZipError("the archive ends in the middle of an entry"));
        const chunk = await this.take(Math.min(left, this.buf.length, 1 << 20));
        crc = crc32(chunk, crc);
        left -= chunk.length;
        controller.enqueue(chunk.slice());
      },
    });
  }

  /** After an entry's data: its descriptor (when it has one) must agree with what was read. */
  private async descriptor(entry: { flags: number }, size: number, crc: number): Promise<void> {
    if (!(entry.flags & 8)) return;
    await this.fill(4);
    const d = view(await this.take(view(this.buf).getUint32(0, true) === DESCRIPTOR ? 16 : 12));
    const base = d.byteLength === 16 ? 4 : 0;
    if (d.getUint32(base, true) !== crc || d.getUint32(base + 4, true) !== size)
      throw new ZipError("an entry's size or checksum does not match its contents");
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}

export class ZipError extends Error {
  readonly status: 400 | 413;
  constructor(message: string, status: 400 | 413 = 400) {
    super(message);
    this.status = status;
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** Where a data descriptor for the bytes before it starts in `buf` (searching from `from`), or -1. */
function findDescriptor(buf: Uint8Array, from: number): number {
  const v = view(buf);
  for (let i = from; i + 16 <= buf.length; i++) {
    if (buf[i] !== 0x50 || v.getUint32(i, true) !== DESCRIPTOR) continue;
    if (v.getUint32(i + 8, true) === i && v.getUint32(i + 4, true) === crc32(buf.subarray(0, i))) return i;
  }
  return -1;
}
