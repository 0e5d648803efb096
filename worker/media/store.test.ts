import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PART_SIZE, storeUpload } from "./store";

class OverLimit extends Error {}

/** `total` bytes of a repeating pattern, in chunks of `size` (odd sizes cross part edges). */
async function* pattern(total: number, size: number, failAt?: number) {
  for (let at = 0; at < total; at += size) {
    if (failAt !== undefined && at >= failAt) throw new Error("client went away");
    yield new Uint8Array(Math.min(size, total - at)).map((_, i) => (at + i) % 251);
  }
}

const opts = (key: string, limit = 50 * 1024 * 1024) => ({ key, contentType: "video/webm", limit, overLimit: () => new OverLimit("over") });
const keys = async (prefix: string) => (await env.MEDIA.list({ prefix })).objects.map((o) => o.key);

async function expectPattern(key: string, total: number) {
  const obj = await env.MEDIA.get(key);
  expect(obj).not.toBeNull();
  expect(obj!.size).toBe(total);
  expect(obj!.httpMetadata?.contentType).toBe("video/webm");
  const bytes = new Uint8Array(await obj!.arrayBuffer());
  for (const at of [0, 1, PART_SIZE - 1, PART_SIZE, PART_SIZE + 1, total - 1].filter((i) => i < total)) expect(bytes[at], `byte ${at}`).toBe(at % 251);
}

describe("storeUpload (real R2)", () => {
  it("stores a small upload in one put, byte for byte", async () => {
    expect(await storeUpload(env.MEDIA, pattern(1000, 300), opts("st/small"))).toBe(1000);
    await expectPattern("st/small", 1000);
  });

  it("stores an upload longer than one part as a multipart upload, byte for byte", async () => {
    const total = 2 * PART_SIZE + 12_345;
    expect(await storeUpload(env.MEDIA, pattern(total, 65_537), opts("st/large"))).toBe(total);
    await expectPattern("st/large", total);
  });

  it("stores an upload of exactly one part", async () => {
    expect(await storeUpload(env.MEDIA, pattern(PART_SIZE, 1 << 20), opts("st/exact"))).toBe(PART_SIZE);
    await expectPattern("st/exact", PART_SIZE);
  });

  it("stops at the first byte over the limit and leaves nothing, even after a part was uploaded", async () => {
    const limit = PART_SIZE + 100;
    const err = await storeUpload(env.MEDIA, pattern(limit + 1, 65_536), opts("st/over", limit)).catch((e) => e);
    expect(err).toBeInstanceOf(OverLimit);
    expect(await keys("st/over")).toEqual([]);
    // Exactly at the limit is fine.
    expect(await storeUpload(env.MEDIA, pattern(limit, 65_536), opts("st/at", limit))).toBe(limit);
  });

  it("leaves nothing when the upload breaks off, before or after the first part", async () => {
    for (const failAt of [1000, PART_SIZE + 70_000]) {
      const err = await storeUpload(env.MEDIA, pattern(3 * PART_SIZE, 65_536, failAt), opts(`st/cut${failAt}`)).catch((e) => e);
      expect(err.message).toBe("client went away");
      expect(await keys(`st/cut${failAt}`)).toEqual([]);
    }
  });
});
