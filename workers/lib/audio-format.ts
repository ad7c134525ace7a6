/**
 * Audio sniffing from the first bytes of a file (the client's Content-Type is
 * not trusted), plus the duration where the header carries it (WAV, FLAC).
 * Pure functions; `head` is the first ≥ SNIFF_BYTES bytes (fewer only if the
 * file is shorter).
 */
import type { AudioFormat } from "../protocol/audio";

export const SNIFF_BYTES = 4096;

export interface Sniffed {
  format: AudioFormat;
  contentType: string;
  durationS: number | null;
}

const ascii = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + len));
const u32le = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u32be = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const seconds = (s: number) => (Number.isFinite(s) && s > 0 ? Math.round(s * 1000) / 1000 : null);

/** ISO-BMFF brands that are images, not audio/video. */
const IMAGE_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis", "crx "]);

export function sniffAudio(head: Uint8Array, totalSize: number): Sniffed | null {
  if (head.length < 4) return null;
  const magic = ascii(head, 0, 4);
  if (ascii(head, 0, 3) === "ID3" && head.length >= 10) {
    // An ID3v2 tag (syncsafe size) precedes MP3 frames, occasionally FLAC.
    const tagEnd =
      10 + (((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f));
    if (ascii(head, tagEnd, 4) === "fLaC")
      return { format: "flac", contentType: "audio/flac", durationS: flacDuration(head, tagEnd) };
    return { format: "mp3", contentType: "audio/mpeg", durationS: null };
  }
  if (magic === "RIFF" && ascii(head, 8, 4) === "WAVE")
    return { format: "wav", contentType: "audio/wav", durationS: wavDuration(head, totalSize) };
  if (magic === "OggS") return { format: "ogg", contentType: "audio/ogg", durationS: null };
  if (magic === "fLaC") return { format: "flac", contentType: "audio/flac", durationS: flacDuration(head, 0) };
  if (ascii(head, 4, 4) === "ftyp" && head.length >= 12 && !IMAGE_BRANDS.has(ascii(head, 8, 4)))
    return { format: "m4a", contentType: "audio/mp4", durationS: null };
  if (
    head[0] === 0x1a &&
    head[1] === 0x45 &&
    head[2] === 0xdf &&
    head[3] === 0xa3 &&
    ascii(head, 0, 64).includes("webm")
  )
    return { format: "webm", contentType: "audio/webm", durationS: null };
  if (head[0] === 0xff && (head[1]! & 0xf6) === 0xf0)
    return { format: "aac", contentType: "audio/aac", durationS: null }; // ADTS
  if (isMpegFrame(head)) return { format: "mp3", contentType: "audio/mpeg", durationS: null };
  return null;
}

/** An MPEG audio frame header: 11 sync bits, valid version, layer, bitrate and sample rate. */
function isMpegFrame(b: Uint8Array): boolean {
  if (b[0] !== 0xff || (b[1]! & 0xe0) !== 0xe0) return false;
  const version = (b[1]! >> 3) & 3;
  const layer = (b[1]! >> 1) & 3;
  const bitrate = b[2]! >> 4;
  const rate = (b[2]! >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 0xf && rate !== 3;
}

/** data bytes / byte rate, from the `fmt ` and `data` chunks. */
function wavDuration(b: Uint8Array, totalSize: number): number | null {
  let byteRate = 0;
  for (let at = 12; at + 8 <= b.length;) {
    const id = ascii(b, at, 4);
    const size = u32le(b, at + 4);
    if (id === "fmt " && at + 16 <= b.length) byteRate = u32le(b, at + 16);
    if (id === "data") {
      const available = totalSize - (at + 8);
      // Streamed WAVs leave the size 0 or 0xFFFFFFFF: use what is actually there.
      const dataBytes = size === 0 || size === 0xffffffff || size > available ? available : size;
      return byteRate > 0 ? seconds(dataBytes / byteRate) : null;
    }
    at += 8 + size + (size & 1);
  }
  return null;
}

/** total samples / sample rate, from STREAMINFO (the first metadata block). */
function flacDuration(b: Uint8Array, at: number): number | null {
  const s = at + 8 + 10; // "fLaC", block header, then min/max block and frame sizes
  if ((b[at + 4]! & 0x7f) !== 0 || s + 8 > b.length) return null;
  const rate = (b[s]! << 12) | (b[s + 1]! << 4) | (b[s + 2]! >> 4);
  const samples = (b[s + 3]! & 0x0f) * 2 ** 32 + u32be(b, s + 4);
  return rate > 0 ? seconds(samples / rate) : null;
}
