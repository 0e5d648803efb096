// A picked file is checked on the phone with the server's own sniffer and limits: a text
// file renamed .png never goes, a clip picked as a picture (or the other way) neither, and
// what is too large is refused before a byte is uploaded.
import { describe, expect, it } from "vitest";
import { MEDIA_LIMITS } from "../../../core/protocol";
import { gif1x1, jpeg1x1, m4aHead, mp4Head, padded, webmHead } from "../../../worker/media/test-samples";
import { SEND_LIMITS, prepareMedia } from "./media-check";

/** A 1×1 PNG (test-samples' png1x1 needs Blob.stream, which jsdom's Blob lacks). */
const png1x1 = async () => Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
const file = (bytes: Uint8Array, type: string) => new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
/** A file of `size` bytes that starts with `head` (the rest zeroes). */
const sized = (head: Uint8Array, size: number, type: string) => new Blob([head as Uint8Array<ArrayBuffer>, new Uint8Array(size - head.length)], { type });

describe("prepareMedia", () => {
  it("uses the server's size limits (core/protocol.ts, which the client bundle cannot import)", () => {
    expect(SEND_LIMITS).toEqual(MEDIA_LIMITS);
  });

  it("refuses a text file renamed .png, whatever type the phone gave it", async () => {
    const fake = new TextEncoder().encode("meeting notes: bring snacks\n".repeat(40));
    expect(await prepareMedia(file(fake, "image/png"), "image")).toEqual({ ok: false, code: "unsupported_media_type" });
    expect(await prepareMedia(file(fake, ""), "video")).toEqual({ ok: false, code: "unsupported_media_type" });
  });

  it("refuses a clip picked as a picture and a picture picked as a clip", async () => {
    expect(await prepareMedia(file(padded(mp4Head(), 600), "image/jpeg"), "image")).toEqual({ ok: false, code: "media_type_mismatch" });
    expect(await prepareMedia(file(await png1x1(), "video/mp4"), "video")).toEqual({ ok: false, code: "media_type_mismatch" });
  });

  it("takes real pictures and clips, and names what it found", async () => {
    const png = await prepareMedia(file(await png1x1(), "image/png"), "image");
    expect(png).toMatchObject({ ok: true, kind: "image", format: "PNG" });
    expect(await prepareMedia(file(jpeg1x1(), "image/jpeg"), "image")).toMatchObject({ ok: true, kind: "image", format: "JPEG" });
    // An animated GIF is never re-encoded (it would lose its frames).
    const gif = file(gif1x1(), "image/gif");
    expect(await prepareMedia(gif, "image")).toMatchObject({ ok: true, blob: gif, format: "GIF" });
    // WebM and MP4 are audio or video by what the user meant; M4A is audio only.
    expect(await prepareMedia(file(padded(webmHead(), 400), "audio/webm"), "audio")).toMatchObject({ ok: true, kind: "audio", format: "WebM" });
    expect(await prepareMedia(file(padded(webmHead(), 400), "video/webm"), "video")).toMatchObject({ ok: true, kind: "video", format: "WebM" });
    expect(await prepareMedia(file(padded(m4aHead(), 400), "audio/mp4"), "video")).toMatchObject({ ok: true, kind: "audio", format: "M4A" });
  });

  it("refuses what is over the limit before anything is sent", async () => {
    expect(await prepareMedia(sized(webmHead(), MEDIA_LIMITS.audio + 1, "audio/webm"), "audio")).toEqual({ ok: false, code: "media_too_large" });
    expect(await prepareMedia(sized(padded(mp4Head(), 64), MEDIA_LIMITS.video + 1, "video/mp4"), "video")).toEqual({ ok: false, code: "media_too_large" });
    expect(await prepareMedia(sized(webmHead(), MEDIA_LIMITS.audio, "audio/webm"), "audio")).toMatchObject({ ok: true });
    // jsdom cannot decode pictures, so a large one cannot be shrunk here: it is refused
    // rather than sent to fail (the browser test shows a 12 MB photo shrunk and sent).
    expect(await prepareMedia(sized(jpeg1x1(), MEDIA_LIMITS.image + 1, "image/jpeg"), "image")).toEqual({ ok: false, code: "media_too_large" });
  });
});
