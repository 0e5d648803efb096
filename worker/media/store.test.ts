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
/** The real bucket, noting each multipart upload it starts, to check later that it was aborted. */
function noting(started: string[]): R2Bucket {
  return {
    put: (k: string, v: Uint8Array, o: R2PutOptions) => env.MEDIA.put(k, v, o),
    delete: (k: string) => env.MEDIA.delete(k),
    createMultipartUpload: async (k: string, o: R2MultipartOptions) => {
      const upload = await env.MEDIA.createMultipartUpload(k, o);
      started.push(upload.uploadId);
      return upload;
    },
  } as unknown as R2Bucket;
}

/** An aborted multipart upload takes no more parts; a live one would, and could still be completed. */
async function expectAborted(key: string, uploadId: string) {
  const more = env.MEDIA.resumeMultipartUpload(key, uploadId).uploadPart(9, new Uint8Array(10));
  await expect(more).rejects.toThrow();
}

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
    const limit = PART_SIZE + 100_000; // past the first part by more than one chunk
    const started: string[] = [];
    const err = await storeUpload(noting(started), pattern(limit + 1, 65_536), opts("st/over", limit)).catch((e) => e);
    expect(err).toBeInstanceOf(OverLimit);
    expect(await keys("st/over")).toEqual([]);
    expect(started).toHaveLength(1);
    await expectAborted("st/over", started[0]!);
    // Exactly at the limit is fine.
    expect(await storeUpload(env.MEDIA, pattern(limit, 65_536), opts("st/at", limit))).toBe(limit);
  });

  it("leaves nothing when the upload breaks off, before or after the first part", async () => {
    for (const [failAt, parts] of [[1000, 0], [PART_SIZE + 70_000, 1]] as const) {
      const started: string[] = [];
      const err = await storeUpload(noting(started), pattern(3 * PART_SIZE, 65_536, failAt), opts(`st/cut${failAt}`)).catch((e) => e);
      expect(err.message).toBe("client went away");
      expect(await keys(`st/cut${failAt}`)).toEqual([]);
      expect(started).toHaveLength(parts);
      for (const id of started) await expectAborted(`st/cut${failAt}`, id);
    }
  });
});
