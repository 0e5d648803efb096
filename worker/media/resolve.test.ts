import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { MEDIA_LIMITS } from "../../core/protocol";
import { claimOf, limitForClaim, MAX_UPLOAD, resolveType } from "./resolve";
import { sniff } from "./sniff";
import * as sample from "./test-samples";

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError ? `${err.status} ${err.code}` : String(err);
  }
  return "no error";
};

describe("claimOf", () => {
  it("reads the kind from the top-level type, ignoring parameters and case", () => {
    expect(claimOf("image/JPEG")).toBe("image");
    expect(claimOf("Audio/webm;codecs=opus")).toBe("audio");
    expect(claimOf(" video/mp4 ; codecs=avc1")).toBe("video");
  });
  it("treats a missing type and application/octet-stream as no claim, anything else as a contradicting one", () => {
    expect([claimOf(null), claimOf(""), claimOf("application/octet-stream")]).toEqual(["none", "none", "none"]);
    expect([claimOf("text/plain"), claimOf("application/pdf"), claimOf("multipart/form-data; boundary=x")]).toEqual(["other", "other", "other"]);
  });
});

describe("resolveType", () => {
  it("stores what the bytes are, whatever picture type was declared", async () => {
    expect(resolveType(sniff(await sample.png1x1()), "image/jpeg")).toEqual({ kind: "image", mime: "image/png" });
    expect(resolveType(sniff(sample.heicHead()), "image/jpeg")).toEqual({ kind: "image", mime: "image/heic" });
    expect(resolveType(sniff(sample.jpeg1x1()), null)).toEqual({ kind: "image", mime: "image/jpeg" });
  });

  it("lets the declared top-level type choose audio or video for WebM and MP4", () => {
    expect(resolveType(sniff(sample.webmHead()), "audio/webm;codecs=opus")).toEqual({ kind: "audio", mime: "audio/webm" });
    expect(resolveType(sniff(sample.webmHead()), "video/webm")).toEqual({ kind: "video", mime: "video/webm" });
    expect(resolveType(sniff(sample.mp4Head()), "audio/mp4")).toEqual({ kind: "audio", mime: "audio/mp4" });
    expect(resolveType(sniff(sample.mp4Head()), "video/quicktime")).toEqual({ kind: "video", mime: "video/mp4" });
    // No claim: video, which plays either way.
    expect(resolveType(sniff(sample.webmHead()), "application/octet-stream")).toEqual({ kind: "video", mime: "video/webm" });
  });

  it("keeps audio-only formats audio even when labelled video (Firefox calls .ogg video/ogg)", () => {
    expect(resolveType(sniff(sample.oggOpusHead()), "video/ogg")).toEqual({ kind: "audio", mime: "audio/ogg" });
    expect(resolveType(sniff(sample.mp3FrameHead()), "video/mpeg")).toEqual({ kind: "audio", mime: "audio/mpeg" });
    expect(resolveType(sniff(sample.m4aHead()), "video/mp4")).toEqual({ kind: "audio", mime: "audio/mp4" });
  });

  it("refuses bytes of the other family, or under a non-media type, as a mismatch", async () => {
    expect(codeOf(() => resolveType(sniff(sample.webmHead()), "image/png"))).toBe("415 media_type_mismatch");
    expect(codeOf(() => resolveType(sniff(sample.jpeg1x1()), "audio/mpeg"))).toBe("415 media_type_mismatch");
    expect(codeOf(() => resolveType(sniff(sample.gif1x1()), "video/mp4"))).toBe("415 media_type_mismatch");
    const png = sniff(await sample.png1x1());
    expect(codeOf(() => resolveType(png, "text/html"))).toBe("415 media_type_mismatch");
  });

  it("says what the file is in the mismatch message", () => {
    expect(() => resolveType(sniff(sample.webmHead()), "image/png")).toThrow("the file is WebM (an audio or video clip) but was sent as image/png");
  });

  it("refuses bytes we do not take as unsupported, whatever they claim", () => {
    const svg = new TextEncoder().encode("<svg/>");
    expect(codeOf(() => resolveType(sniff(svg), "image/svg+xml"))).toBe("415 unsupported_media_type");
    expect(codeOf(() => resolveType(sniff(svg), "image/png"))).toBe("415 unsupported_media_type");
    expect(codeOf(() => resolveType(sniff(sample.adtsHead()), "audio/aac"))).toBe("415 unsupported_media_type");
  });
});

describe("limitForClaim", () => {
  it("is the claimed kind's limit, or the largest one with no kind claimed", () => {
    expect(limitForClaim("image")).toBe(MEDIA_LIMITS.image);
    expect(limitForClaim("audio")).toBe(MEDIA_LIMITS.audio);
    expect(limitForClaim("video")).toBe(MEDIA_LIMITS.video);
    expect([limitForClaim("none"), limitForClaim("other")]).toEqual([MAX_UPLOAD, MAX_UPLOAD]);
    expect(MAX_UPLOAD).toBe(50 * 1024 * 1024);
  });
});
