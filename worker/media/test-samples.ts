// Real, minimal media files built in code for the media tests: 1×1 pictures that
// decoders open, and the leading bytes of clips exactly as encoders write them.
// Checked by hand once: sharp (libvips) decodes the four pictures to their 1×1 pixel,
// and `file(1)` names every one of these formats as the comment on it says.

import { type Bytes, concat } from "../../core/bytes";

export { type Bytes, concat };

const ascii = (s: string) => [...s].map((ch) => ch.charCodeAt(0));
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u32le = (n: number) => u32be(n).reverse();


// ---- pictures ------------------------------------------------------------------------

/** A 1×1 red PNG: signature, IHDR, one zlib-compressed IDAT, IEND, each with its CRC. */
export async function png1x1(): Promise<Bytes> {
  const chunk = (type: string, data: number[] | Uint8Array) => {
    const body = concat(ascii(type), data);
    return concat(u32be(data.length), body, u32be(crc32(body)));
  };
  // One row: filter byte 0, then R G B.
  const idat = await deflate(new Uint8Array([0, 0xff, 0, 0]));
  return concat(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    chunk("IHDR", [...u32be(1), ...u32be(1), 8, 2, 0, 0, 0]), // 8-bit truecolour
    chunk("IDAT", idat),
    chunk("IEND", []),
  );
}

/**
 * A 1×1 grey baseline JPEG: one 8×8 block whose only coefficient is a zero DC, coded
 * with one-symbol Huffman tables (DC category 0 and AC end-of-block, each the code "0").
 */
export function jpeg1x1(): Bytes {
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const oneCode = (tableClass: number, symbol: number) => [tableClass << 4, 1, ...new Array(15).fill(0), symbol];
  return new Uint8Array([
    0xff, 0xd8, // SOI
    ...segment(0xe0, [...ascii("JFIF"), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // APP0
    ...segment(0xdb, [0, ...new Array(64).fill(1)]), // DQT 0: all ones
    ...segment(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]), // SOF0: 8-bit, 1×1, one component
    ...segment(0xc4, oneCode(0, 0)), // DHT DC 0
    ...segment(0xc4, oneCode(1, 0)), // DHT AC 0: EOB
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]), // SOS
    0b0011_1111, // "0" DC, "0" EOB, padded with ones
    0xff, 0xd9, // EOI
  ]);
}

/** The classic 1×1 transparent GIF89a (43 bytes): two-colour table, one LZW-coded pixel. */
export function gif1x1(): Bytes {
  return new Uint8Array([
    ...ascii("GIF89a"), 1, 0, 1, 0, 0x80, 0, 0, // screen 1×1, 2-entry global table
    0, 0, 0, 0xff, 0xff, 0xff, // black, white
    0x21, 0xf9, 4, 1, 0, 0, 0, 0, // graphic control: colour 0 transparent
    0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, // image 1×1
    2, 2, 0x44, 0x01, 0, // LZW min size 2: clear, 0, end
    0x3b,
  ]);
}

/** A 1×1 lossless WebP: RIFF/WEBP with one VP8L chunk (the image browsers use to detect WebP support). */
export function webp1x1(): Bytes {
  const vp8l = [0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07];
  const body = concat(ascii("WEBP"), ascii("VP8L"), u32le(vp8l.length), vp8l, [0]); // padded to even
  return concat(ascii("RIFF"), u32le(body.length), body);
}

/** An ISO-BMFF `ftyp` box (the first box of MP4, M4A and HEIC files). */
export function ftyp(major: string, ...compatible: string[]): Bytes {
  const body = concat(ascii(major), u32be(0), ...compatible.map(ascii));
  return concat(u32be(8 + body.length), ascii("ftyp"), body);
}

/** A HEIC as an iPhone writes it: ftyp heic with mif1, then the start of its meta box. */
export const heicHead = () => concat(ftyp("heic", "mif1", "heic"), u32be(0x100), ascii("meta"), u32be(0));

// ---- clips ---------------------------------------------------------------------------

/** An MP4 clip head as browsers' MediaRecorder and cameras write it: ftyp, then moov. */
export const mp4Head = () => concat(ftyp("isom", "isom", "iso2", "avc1", "mp41"), u32be(8), ascii("free"), u32be(0x40), ascii("moov"));
export const m4aHead = () => concat(ftyp("M4A ", "M4A ", "mp42", "isom"), u32be(8), ascii("free"));

/** The EBML header a WebM file starts with (as Chrome's MediaRecorder writes it). */
export function webmHead(docType = "webm"): Bytes {
  const element = (id: number[], data: number[]) => [...id, 0x80 | data.length, ...data];
  const header = [
    ...element([0x42, 0x86], [1]), // EBMLVersion
    ...element([0x42, 0xf7], [1]), // EBMLReadVersion
    ...element([0x42, 0xf2], [4]), // EBMLMaxIDLength
    ...element([0x42, 0xf3], [8]), // EBMLMaxSizeLength
    ...element([0x42, 0x82], ascii(docType)), // DocType
    ...element([0x42, 0x87], [4]), // DocTypeVersion
    ...element([0x42, 0x85], [2]), // DocTypeReadVersion
  ];
  // Then the Segment element, unknown size, as live encoders write it.
  return new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x80 | header.length, ...header, 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

/** The first Ogg page of an Opus stream: page header, segment table, OpusHead packet. */
export function oggOpusHead(codecHeader: number[] = [...ascii("OpusHead"), 1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]): Bytes {
  const page = [...ascii("OggS"), 0, 0x02, ...new Array(8).fill(0), ...u32le(0x1234), ...u32le(0), ...u32le(0), 1, codecHeader.length];
  return new Uint8Array([...page, ...codecHeader]);
}
export const oggTheoraHead = () => oggOpusHead([0x80, ...ascii("theora"), 3, 2, 1]);

/** An MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz, stereo; then the frame's zeroes. */
export const mp3FrameHead = () => concat([0xff, 0xfb, 0x90, 0x64], new Uint8Array(413));
/** An ID3v2.4 tag header, as most MP3 files start. */
export const id3Head = () => concat(ascii("ID3"), [4, 0, 0, 0, 0, 0, 0]);
/** ADTS AAC: the same sync bits as MP3 but layer 00, which we do not take. */
export const adtsHead = () => new Uint8Array([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]);

// ---- helpers -------------------------------------------------------------------------

async function deflate(data: Bytes): Promise<Bytes> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** `n` bytes: `head`, then zeroes. */
export function padded(head: Uint8Array, n: number): Bytes {
  const out = new Uint8Array(n);
  out.set(head.subarray(0, n));
  return out;
}
