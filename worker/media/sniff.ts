import type { MediaKind } from "../../core/protocol";

/**
 * What a file's leading bytes say it is: the media type it has for each kind it can be.
 * One entry for most formats; WebM and plain MP4 get both `audio` and `video`, because
 * their header does not say whether a video track follows (see `resolve.ts`).
 */
export type Sniffed = { format: string; as: Partial<Record<MediaKind, string>> };

/** How many leading bytes `sniff` wants; every header it reads ends well inside this. */
export const SNIFF_BYTES = 4096;

/** The format of a file from its leading bytes, or null when it is none we take. */
export function sniff(head: Uint8Array): Sniffed | null {
  return image(head) ?? isoMedia(head) ?? webm(head) ?? ogg(head) ?? mp3(head);
}

function image(b: Uint8Array): Sniffed | null {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { format: "JPEG", as: { image: "image/jpeg" } };
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { format: "PNG", as: { image: "image/png" } };
  if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return { format: "GIF", as: { image: "image/gif" } };
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return { format: "WebP", as: { image: "image/webp" } };
  return null;
}

// ISO base media files (MP4, M4A, HEIC) open with an `ftyp` box: size, "ftyp", a major
// brand, a version, then compatible brands. The brands say what the file is (ISO/IEC
// 14496-12 §4.3; brand list at mp4ra.org). AVIF, QuickTime and 3GP also use `ftyp` and
// are not on our list, so brands we do not know are refused rather than guessed.
const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis"]);
const AUDIO_ONLY_BRANDS = new Set(["M4A ", "M4B "]);
const MP4_BRANDS = new Set(["isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9", "mp41", "mp42", "avc1", "dash", "mmp4", "MSNV", "M4V "]);

function isoMedia(b: Uint8Array): Sniffed | null {
  if (b.length < 16 || ascii(b, 4, 4) !== "ftyp") return null;
  const boxSize = Math.min(uint32(b, 0), b.length);
  const major = ascii(b, 8, 4);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= boxSize; at += 4) compatible.push(ascii(b, at, 4));
  const brands = [major, ...compatible];
  // An AVIF lists `mif1` like a HEIC does; only a HEVC brand makes it HEIC.
  if (brands.some((x) => HEIC_BRANDS.has(x))) return { format: "HEIC", as: { image: "image/heic" } };
  if (AUDIO_ONLY_BRANDS.has(major)) return { format: "M4A", as: { audio: "audio/mp4" } };
  if (brands.some((x) => MP4_BRANDS.has(x))) return { format: "MP4", as: { audio: "audio/mp4", video: "video/mp4" } };
  return null;
}

// WebM is Matroska with DocType "webm": an EBML header element (ID 1A 45 DF A3) whose
// children include DocType (ID 42 82). Plain Matroska (.mkv) is not on our list.
function webm(b: Uint8Array): Sniffed | null {
  if (!startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return null;
  const header = vint(b, 4);
  if (!header) return null;
  const end = Math.min(header.next + header.value, b.length);
  for (let at = header.next; at < end; ) {
    const id = elementId(b, at);
    const size = id && vint(b, id.next);
    if (!id || !size) return null;
    if (id.value === 0x4282) {
      return ascii(b, size.next, size.value) === "webm" ? { format: "WebM", as: { audio: "audio/webm", video: "video/webm" } } : null;
    }
    at = size.next + size.value;
  }
  return null;
}

// Ogg pages start "OggS"; the first page carries the codec's identification header
// right after its segment table (RFC 3533 §6). Only audio codecs count: Ogg Theora
// video is not one of the video formats we take.
const OGG_AUDIO_CODECS: number[][] = [
  [...bytesOf("OpusHead")],
  [0x01, ...bytesOf("vorbis")],
  [0x7f, ...bytesOf("FLAC")],
  [...bytesOf("Speex   ")],
];

function ogg(b: Uint8Array): Sniffed | null {
  if (ascii(b, 0, 4) !== "OggS" || b.length < 27) return null;
  const packet = b.subarray(27 + b[26]!);
  return OGG_AUDIO_CODECS.some((sig) => startsWith(packet, sig)) ? { format: "Ogg", as: { audio: "audio/ogg" } } : null;
}

// MP3: an ID3v2 tag ("ID3", major version 2–4) or a bare MPEG audio frame header:
// 11 sync bits, a real version, layer III, a bitrate that is not "free"/"bad", and a
// real sample rate. ADTS AAC shares the sync bits but has layer 00, so it is refused.
function mp3(b: Uint8Array): Sniffed | null {
  if (ascii(b, 0, 3) === "ID3" && b[3]! >= 2 && b[3]! <= 4) return { format: "MP3", as: { audio: "audio/mpeg" } };
  if (b.length < 4 || b[0] !== 0xff || (b[1]! & 0xe0) !== 0xe0) return null;
  const version = (b[1]! >> 3) & 3;
  const layer = (b[1]! >> 1) & 3;
  const bitrate = b[2]! >> 4;
  const rate = (b[2]! >> 2) & 3;
  if (version === 1 || layer !== 1 || bitrate === 0 || bitrate === 15 || rate === 3) return null;
  return { format: "MP3", as: { audio: "audio/mpeg" } };
}

// ---- byte helpers ------------------------------------------------------------------

function startsWith(b: Uint8Array, sig: number[]): boolean {
  return b.length >= sig.length && sig.every((x, i) => b[i] === x);
}

function ascii(b: Uint8Array, at: number, n: number): string {
  if (at + n > b.length) return "";
  return String.fromCharCode(...b.subarray(at, at + n));
}

function bytesOf(s: string): number[] {
  return [...s].map((ch) => ch.charCodeAt(0));
}

function uint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** An EBML variable-length size: the leading 1 bit says how many bytes; it is masked off. */
function vint(b: Uint8Array, at: number): { value: number; next: number } | null {
  const first = b[at];
  if (first === undefined || first === 0) return null;
  const len = Math.clz32(first) - 23; // 1..8 for a non-zero byte
  if (at + len > b.length) return null;
  let value = first & (0xff >> len);
  for (let i = 1; i < len; i++) value = value * 256 + b[at + i]!;
  return { value, next: at + len };
}

/** An EBML element ID: sized like a vint, but the marker bit is part of the ID. */
function elementId(b: Uint8Array, at: number): { value: number; next: number } | null {
  const first = b[at];
  if (first === undefined || first === 0) return null;
  const len = Math.clz32(first) - 23;
  if (len > 4 || at + len > b.length) return null;
  let value = 0;
  for (let i = 0; i < len; i++) value = value * 256 + b[at + i]!;
  return { value, next: at + len };
}
