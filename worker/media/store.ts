/**
 * Writes an upload of unknown length to R2 without holding it in memory.
 *
 * R2's `put()` takes a stream only when its length is known up front (a FixedLengthStream),
 * which a chunked or multipart upload does not give us. So bytes are gathered into
 * parts of PART_SIZE: an upload that ends inside the first part is one `put()` (most
 * pictures); a longer one becomes an R2 multipart upload, one part at a time. At most
 * one part is in memory. R2 requires every part but the last to be at least 5 MiB and
 * all of the same size (developers.cloudflare.com/r2/objects/multipart-objects).
 *
 * On any error — over the limit, the client went away, R2 failed — the multipart upload
 * is aborted and the key deleted, so nothing is left behind, and the error is rethrown.
 */
import { errorField, log } from "../../core/log";
export const PART_SIZE = 5 * 1024 * 1024;

export type StoreOptions = {
  key: string;
  contentType: string;
  /** Called with the error to throw once more than this many bytes arrive. */
  limit: number;
  overLimit: () => Error;
};

export async function storeUpload(bucket: R2Bucket, chunks: AsyncIterable<Uint8Array>, opts: StoreOptions): Promise<number> {
  const writer = new PartWriter(bucket, opts);
  try {
    for await (const chunk of chunks) await writer.write(chunk);
    await writer.finish();
    return writer.size;
  } catch (err) {
    await writer.discard();
    throw err;
  }
}

class PartWriter {
  size = 0;
  private part = new Uint8Array(PART_SIZE);
  private fill = 0;
  private upload: R2MultipartUpload | undefined;
  private parts: R2UploadedPart[] = [];

  constructor(private bucket: R2Bucket, private opts: StoreOptions) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.length;
    if (this.size > this.opts.limit) throw this.opts.overLimit();
    for (let at = 0; at < chunk.length; ) {
      // A full part is sent only once more bytes come, so an upload of exactly one
      // part's size still ends as a single put().
      if (this.fill === PART_SIZE) await this.sendPart();
      const n = Math.min(PART_SIZE - this.fill, chunk.length - at);
      this.part.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
    }
  }

  async finish(): Promise<void> {
    const httpMetadata = { contentType: this.opts.contentType };
    if (!this.upload) {
      await this.bucket.put(this.opts.key, this.part.subarray(0, this.fill), { httpMetadata });
      return;
    }
    if (this.fill > 0) await this.sendPart();
    await this.upload.complete(this.parts);
  }

  async discard(): Promise<void> {
    try {
      await this.upload?.abort();
      await this.bucket.delete(this.opts.key);
    } catch (err) {
      // Cleanup must not hide the error that caused it. A multipart upload whose abort
      // failed is still invisible, and R2 drops unfinished uploads after 7 days by default.
      log("media.discard_failed", { key: this.opts.key, error: errorField(err) }, "error");
    }
  }

  private async sendPart(): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.opts.key, { httpMetadata: { contentType: this.opts.contentType } });
    const body = this.part.subarray(0, this.fill);
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, body));
    // A fresh buffer: R2 may still hold a view of the one it was given.
    this.part = new Uint8Array(PART_SIZE);
    this.fill = 0;
  }
}
