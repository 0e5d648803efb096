// A WebM recorded with MediaRecorder is written live, so its Segment Info has no Duration
// element (Matroska spec, RFC 9559 §5.1.2.4): players show 0:00, or Infinity, until the
// whole clip has been played. The recorder knows how long it recorded, so the Duration is
// written into the header before the clip is stored or sent, and every player then shows
// the real length from the metadata alone.

const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const SEEK_HEAD = 0x114d9b74;
const INFO = 0x1549a966;
const TIMESTAMP_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const CLUSTER = 0x1f43b675;

/** Enough for the EBML header, the Segment's start and its Info, which come first. */
const HEAD_BYTES = 64 * 1024;

type Vint = { value: number; width: number; unknown: boolean };
type Bytes = Uint8Array<ArrayBuffer>;

/** The clip with its Duration set to `ms`, or the clip itself when it is not a WebM this can safely patch. */
export async function withDuration(blob: Blob, ms: number): Promise<Blob> {
  if (!(ms > 0)) return blob;
  const head = new Uint8Array(await blob.slice(0, HEAD_BYTES).arrayBuffer());
  const plan = planPatch(head, ms);
  if (!plan) return blob;
  return new Blob([...plan.parts, blob.slice(plan.resumeAt)], { type: blob.type });
}

/** The new leading bytes (up to the end of Info, with Duration added) and where the rest of the file resumes. */
export function planPatch(b: Bytes, ms: number): { parts: Bytes[]; resumeAt: number } | null {
  const ebml = element(b, 0);
  if (!ebml || ebml.id !== EBML || ebml.size.unknown) return null;
  const segment = element(b, ebml.dataAt + ebml.size.value);
  if (!segment || segment.id !== SEGMENT) return null;
  let scale = 1_000_000;
  for (let at = segment.dataAt; at < b.length; ) {
    const el = element(b, at);
    if (!el || el.size.unknown) return null;
    // A SeekHead holds byte positions that an insertion would shift; MediaRecorder writes none.
    if (el.id === SEEK_HEAD || el.id === CLUSTER) return null;
    if (el.id !== INFO) {
      at = el.dataAt + el.size.value;
      continue;
    }
    const end = el.dataAt + el.size.value;
    if (end > b.length) return null;
    for (let c = el.dataAt; c < end; ) {
      const child = element(b, c);
      if (!child || child.size.unknown) return null;
      if (child.id === DURATION) return null; // already there
      if (child.id === TIMESTAMP_SCALE) scale = readUint(b, child.dataAt, child.size.value);
      c = child.dataAt + child.size.value;
    }
    // Duration is a float in TimestampScale units (nanoseconds each; 1 ms by default).
    const duration = new Uint8Array(11);
    duration.set([0x44, 0x89, 0x88]);
    new DataView(duration.buffer).setFloat64(3, (ms * 1_000_000) / scale);
    const infoSize = encodeSize(el.size.value + duration.length, el.size.width);
    const segmentSize = segment.size.unknown ? null : encodeSize(segment.size.value + duration.length + infoSize.length - el.size.width, segment.size.width);
    const parts = [
      b.subarray(0, segment.sizeAt),
      segmentSize ?? b.subarray(segment.sizeAt, segment.dataAt),
      b.subarray(segment.dataAt, el.sizeAt),
      infoSize,
      b.subarray(el.dataAt, end),
      duration,
    ];
    return { parts, resumeAt: end };
  }
  return null;
}

type Element = { id: number; sizeAt: number; size: Vint; dataAt: number };

function element(b: Uint8Array, at: number): Element | null {
  const id = readId(b, at);
  if (!id) return null;
  const size = readVint(b, id.next);
  if (!size) return null;
  return { id: id.value, sizeAt: id.next, size, dataAt: id.next + size.width };
}

/** An element ID: 1–4 bytes, the length marker kept as part of the ID. */
function readId(b: Uint8Array, at: number): { value: number; next: number } | null {
  const first = b[at];
  if (first === undefined || first === 0) return null;
  const width = Math.clz32(first) - 23;
  if (width > 4 || at + width > b.length) return null;
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + b[at + i]!;
  return { value, next: at + width };
}

/** A data size: the leading 1 bit gives the width and is masked off; all ones means "unknown". */
function readVint(b: Uint8Array, at: number): Vint | null {
  const first = b[at];
  if (first === undefined || first === 0) return null;
  const width = Math.clz32(first) - 23;
  if (at + width > b.length) return null;
  let value = first & (0xff >> width);
  let ones = value === 0xff >> width;
  for (let i = 1; i < width; i++) {
    value = value * 256 + b[at + i]!;
    ones &&= b[at + i] === 0xff;
  }
  return { value, width, unknown: ones };
}

function readUint(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!;
  return v || 1_000_000;
}

/** A size in `width` bytes when it fits (so nothing else moves), else in as few as it needs. */
function encodeSize(value: number, width: number): Bytes {
  let w = width;
  // A width of n holds values below 2^(7n) − 1 (all ones is reserved for "unknown").
  while (value >= 2 ** (7 * w) - 1) w++;
  const out = new Uint8Array(w);
  let v = value;
  for (let i = w - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0]! |= 0x80 >> (w - 1);
  return out;
}
