// The Duration written into a live-recorded WebM's header (RFC 9559): files are built
// here element by element as MediaRecorder writes them (EBML header, a Segment of unknown
// size, Info without Duration, Tracks, Clusters), patched, and read back.
import { describe, expect, it } from "vitest";
import { sniff } from "../../../worker/media/sniff";
import { withDuration } from "./webm-duration";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((h) => parseInt(h, 16)));
const ascii = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
/** An element with a one-byte size (data under 127 bytes). */
const el = (id: string, ...data: Uint8Array[]) => {
  const body = cat(...data);
  return cat(hex(id), Uint8Array.of(0x80 | body.length), body);
};

const EBML_HEADER = el("1A45DFA3", el("4286", hex("01")), el("42F7", hex("01")), el("42F2", hex("04")), el("42F3", hex("08")), el("4282", ascii("webm")), el("4287", hex("04")), el("4285", hex("02")));
const INFO = el("1549A966", el("2AD7B1", hex("0F4240")), el("4D80", ascii("Chrome")), el("5741", ascii("Chrome")));
const TRACKS = el("1654AE6B", el("AE", el("D7", hex("01")), el("83", hex("02")), el("86", ascii("A_OPUS"))));
const CLUSTER = cat(hex("1F43B675 01FFFFFFFFFFFFFF"), el("E7", hex("00")), el("A3", hex("810000 80"), new Uint8Array(20).fill(7)));
const recorded = (info = INFO, segmentSize = hex("01FFFFFFFFFFFFFF"), extra: Uint8Array = new Uint8Array(0)) =>
  cat(EBML_HEADER, hex("18538067"), segmentSize, extra, info, TRACKS, CLUSTER);

const blobOf = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>], { type: "audio/webm;codecs=opus" });
const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

type Found = { id: number; data: Uint8Array; at: number };
/** Reads the element at `at` (1–4 byte id, vint size; unknown size runs to the end). */
function read(b: Uint8Array, at: number): Found & { end: number; sizeWidth: number } {
  const idWidth = Math.clz32(b[at]!) - 23;
  let id = 0;
  for (let i = 0; i < idWidth; i++) id = id * 256 + b[at + i]!;
  const s = at + idWidth;
  const w = Math.clz32(b[s]!) - 23;
  let size = b[s]! & (0xff >> w);
  let ones = size === 0xff >> w;
  for (let i = 1; i < w; i++) (size = size * 256 + b[s + i]!), (ones &&= b[s + i] === 0xff);
  const dataAt = s + w;
  const end = ones ? b.length : dataAt + size;
  return { id, at, data: b.subarray(dataAt, end), end, sizeWidth: w };
}
function children(data: Uint8Array): Found[] {
  const out: Found[] = [];
  for (let at = 0; at < data.length; ) {
    const e = read(data, at);
    out.push(e);
    at = e.end;
  }
  return out;
}
function durationOf(file: Uint8Array): number | undefined {
  const header = read(file, 0);
  const segment = read(file, header.end);
  const info = children(segment.data).find((e) => e.id === 0x1549a966)!;
  const d = children(info.data).find((e) => e.id === 0x4489);
  return d ? new DataView(d.data.buffer, d.data.byteOffset, 8).getFloat64(0) : undefined;
}

describe("withDuration", () => {
  it("adds the Duration (in TimestampScale units) to Info and keeps everything after it byte for byte", async () => {
    const file = recorded();
    expect(durationOf(file)).toBeUndefined();
    const out = await bytes(await withDuration(blobOf(file), 7340));
    expect(durationOf(out)).toBe(7340);
    expect(out.length).toBe(file.length + 11);
    // Tracks and the clusters follow unchanged; the server still sniffs a WebM.
    expect(out.subarray(out.length - TRACKS.length - CLUSTER.length)).toEqual(cat(TRACKS, CLUSTER));
    expect(sniff(out)?.format).toBe("WebM");
  });

  it("honours a TimestampScale other than 1 ms", async () => {
    const info = el("1549A966", el("2AD7B1", hex("0186A0")), el("4D80", ascii("x"))); // 100 000 ns = 0.1 ms
    expect(durationOf(await bytes(await withDuration(blobOf(recorded(info)), 2500)))).toBe(25_000);
  });

  it("grows a Segment of known size by what it inserts", async () => {
    const body = cat(INFO, TRACKS, el("1F43B675", el("E7", hex("00"))));
    const file = cat(EBML_HEADER, hex("18538067"), hex("0100000000000000").map((v, i) => (i === 7 ? body.length : v)), body);
    const out = await bytes(await withDuration(blobOf(file), 1000));
    const segment = read(out, read(out, 0).end);
    expect(segment.end).toBe(out.length);
    expect(segment.sizeWidth).toBe(8);
    expect(durationOf(out)).toBe(1000);
  });

  it("leaves alone what it must not or need not change", async () => {
    const withDur = el("1549A966", el("2AD7B1", hex("0F4240")), el("4489", hex("40B3880000000000")));
    const seekHead = el("114D9B74", el("4DBB", el("53AB", hex("1549A966")), el("53AC", hex("20"))));
    for (const file of [recorded(withDur), recorded(INFO, hex("01FFFFFFFFFFFFFF"), seekHead), ascii("not a webm at all, just text"), new Uint8Array(0)]) {
      const blob = blobOf(file);
      expect(await withDuration(blob, 5000)).toBe(blob);
    }
    const blob = blobOf(recorded());
    expect(await withDuration(blob, 0)).toBe(blob);
  });
});
