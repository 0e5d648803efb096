import { describe, expect, it } from "vitest";
import { sniff } from "./sniff";
import * as sample from "./test-samples";

describe("sniff", () => {
  it("knows each picture format from a real 1×1 file", async () => {
    expect(sniff(await sample.png1x1())).toEqual({ format: "PNG", as: { image: "image/png" } });
    expect(sniff(sample.jpeg1x1())).toEqual({ format: "JPEG", as: { image: "image/jpeg" } });
    expect(sniff(sample.gif1x1())).toEqual({ format: "GIF", as: { image: "image/gif" } });
    expect(sniff(sample.webp1x1())).toEqual({ format: "WebP", as: { image: "image/webp" } });
    expect(sniff(sample.heicHead())).toEqual({ format: "HEIC", as: { image: "image/heic" } });
  });

  it("knows HEIC by a HEVC brand among the compatible ones, whatever the major brand", () => {
    expect(sniff(sample.ftyp("mif1", "mif1", "heic"))?.format).toBe("HEIC");
    expect(sniff(sample.ftyp("msf1", "hevc", "heix"))?.format).toBe("HEIC");
  });

  it("knows each clip format from its leading bytes; WebM and MP4 may be audio or video", () => {
    expect(sniff(sample.webmHead())).toEqual({ format: "WebM", as: { audio: "audio/webm", video: "video/webm" } });
    expect(sniff(sample.mp4Head())).toEqual({ format: "MP4", as: { audio: "audio/mp4", video: "video/mp4" } });
    expect(sniff(sample.m4aHead())).toEqual({ format: "M4A", as: { audio: "audio/mp4" } });
    expect(sniff(sample.oggOpusHead())).toEqual({ format: "Ogg", as: { audio: "audio/ogg" } });
    expect(sniff(sample.mp3FrameHead())).toEqual({ format: "MP3", as: { audio: "audio/mpeg" } });
    expect(sniff(sample.id3Head())).toEqual({ format: "MP3", as: { audio: "audio/mpeg" } });
  });

  it("takes an MP4 whose major brand is unknown but which lists an MP4 brand (e.g. Safari's iso5 recordings)", () => {
    expect(sniff(sample.ftyp("iso5", "iso5", "iso6", "mp41"))?.format).toBe("MP4");
    expect(sniff(sample.ftyp("XAVC", "XAVC", "mp42"))?.format).toBe("MP4");
  });

  it("refuses lookalikes that are not on the list", () => {
    const refused = {
      "AVIF (mif1 without a HEVC brand)": sample.ftyp("avif", "avif", "mif1", "miaf"),
      QuickTime: sample.ftyp("qt  ", "qt  "),
      "3GP": sample.ftyp("3gp4", "3gp4"),
      Matroska: sample.webmHead("matroska"),
      "Ogg Theora": sample.oggTheoraHead(),
      "ADTS AAC": sample.adtsHead(),
      "MPEG layer II": new Uint8Array([0xff, 0xfd, 0x90, 0x64]),
      "MP3 header with bad bitrate": new Uint8Array([0xff, 0xfb, 0xf0, 0x64]),
      "RIFF WAVE": new Uint8Array([...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WAVEfmt ")]),
      SVG: new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      HTML: new TextEncoder().encode("<!doctype html><script>alert(1)</script>"),
      PDF: new TextEncoder().encode("%PDF-1.7\n"),
      empty: new Uint8Array(0),
    };
    for (const [name, bytes] of Object.entries(refused)) expect(sniff(bytes), name).toBeNull();
  });

  it("does not read past truncated headers", () => {
    const full = [sample.jpeg1x1(), sample.webmHead(), sample.oggOpusHead(), sample.mp4Head(), sample.heicHead()];
    for (const bytes of full) {
      for (let n = 0; n < 12; n++) expect(() => sniff(bytes.subarray(0, n))).not.toThrow();
    }
    expect(sniff(sample.webmHead().subarray(0, 10))).toBeNull();
    expect(sniff(sample.oggOpusHead().subarray(0, 30))).toBeNull();
  });
});
