// The media outbox: a picture is stored with its bytes before anything else, uploads with
// progress, can be cancelled, waits out a dead network and retries by itself, survives a
// reload, and is sent once — with the media id and the same client id — only after the
// upload is done. A refusal (too large, wrong type) is final and shown on the message.
import { Blob as NodeBlob } from "node:buffer";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../../test/fake-socket";
import { connectFake, resetClient } from "../../test/sync-harness";
import { ApiFailure } from "./api";
import { stopConnection } from "./connection";
import { loadSnapshot } from "./db";
import { outbox, pendingByConv, resetOutboxState } from "./outbox";
import { settled } from "./sync";
import type { Media } from "./types";
import { UPLOAD_RETRY, cancelUpload, queueMedia, resetUploadsState, resumeUploads, retryMessage, setUploadTransport, uploads } from "./uploads";

const conv = "d:u_a:u_b";
// Node's Blob: structured-cloneable, so fake-indexeddb stores it the way a browser's IndexedDB does.
const picture = () => new NodeBlob([new Uint8Array(1000)], { type: "image/jpeg" }) as unknown as Blob;

/** A transport the test drives: each call waits until the test answers it. */
class FakeUploads {
  calls: { blob: Blob; mime: string; progress: (l: number, t: number) => void; signal: AbortSignal; resolve: (m: Media) => void; reject: (e: unknown) => void }[] = [];
  transport = (blob: Blob, mime: string, progress: (l: number, t: number) => void, signal: AbortSignal) =>
    new Promise<Media>((resolve, reject) => {
      this.calls.push({ blob, mime, progress, signal, resolve, reject });
      signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  get last() {
    return this.calls[this.calls.length - 1]!;
  }
}

const connect = () => connectFake({ ready: 0 });
const sends = (s: FakeSocket) => s.frames().filter((f) => f.t === "send");

describe("media outbox", () => {
  let fake: FakeUploads;
  beforeEach(async () => {
    await resetClient();
    resetUploadsState();
    fake = new FakeUploads();
    setUploadTransport(fake.transport);
  });
  afterEach(() => {
    stopConnection();
    resetUploadsState();
    setUploadTransport();
    vi.restoreAllMocks();
  });

  it("uploads with progress, then sends the body with the media id, once, under the same client id", async () => {
    const sock = await connect();
    const item = await queueMedia(conv, "u_b", { blob: picture(), kind: "image", caption: " the view " });
    expect(item.body).toEqual({ type: "image", media: "", caption: "the view" });
    expect(pendingByConv.value.get(conv)?.map((i) => i.id)).toEqual([item.id]);
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    expect(fake.last.mime).toBe("image/jpeg");
    expect(uploads.value.get(item.id)).toEqual({ state: "uploading", loaded: 0, total: 1000 });
    // Nothing is sent while the bytes are on their way.
    expect(sends(sock)).toEqual([]);

    fake.last.progress(400, 1000);
    expect(uploads.value.get(item.id)).toEqual({ state: "uploading", loaded: 400, total: 1000 });
    fake.last.resolve({ id: "md_1", type: "image", mime: "image/jpeg", size: 1000 });
    await vi.waitFor(() => expect(sends(sock)).toHaveLength(1));
    expect(sends(sock)[0]).toEqual({ t: "send", id: item.id, to: { user: "u_b" }, body: { type: "image", media: "md_1", caption: "the view" } });
    expect(uploads.value.has(item.id)).toBe(false);
    // The stored item now holds the media id and no longer the bytes.
    const [stored] = (await loadSnapshot()).outbox;
    expect(stored).toMatchObject({ id: item.id, body: { media: "md_1" } });
    expect(stored!.upload).toBeUndefined();

    sock.deliver({ t: "accepted", id: item.id, msgId: "m_1", conv, at: 5 });
    await settled();
    expect(outbox.value).toEqual([]);
    expect(fake.calls).toHaveLength(1);
  });

  it("cancel stops the upload and drops the message: nothing is sent, nothing stays on the device", async () => {
    const sock = await connect();
    const item = await queueMedia(conv, "u_b", { blob: picture(), kind: "image" });
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    fake.last.progress(500, 1000);
    await cancelUpload(item.id);
    expect(fake.last.signal.aborted).toBe(true);
    expect(outbox.value).toEqual([]);
    expect(uploads.value.size).toBe(0);
    expect((await loadSnapshot()).outbox).toEqual([]);
    expect(sends(sock)).toEqual([]);
  });

  it("a network failure waits and retries by itself with growing delays, then sends", async () => {
    const sock = await connect();
    const base = UPLOAD_RETRY.baseMs;
    UPLOAD_RETRY.baseMs = 40;
    try {
      const item = await queueMedia(conv, "u_b", { blob: picture(), kind: "image" });
      await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
      const failedAt = Date.now();
      fake.last.reject(new ApiFailure(0, "network", "network unreachable"));
      await vi.waitFor(() => expect(fake.calls).toHaveLength(2));
      expect(Date.now() - failedAt).toBeGreaterThanOrEqual(35);
      // A server hiccup (5xx) is also worth another try, after twice as long.
      const again = Date.now();
      fake.last.reject(new ApiFailure(500, "internal", "oops"));
      await vi.waitFor(() => expect(fake.calls).toHaveLength(3));
      expect(Date.now() - again).toBeGreaterThanOrEqual(75);
      fake.last.resolve({ id: "md_9", type: "image", mime: "image/jpeg", size: 1000 });
      await vi.waitFor(() => expect(sends(sock).map((f) => f.id)).toEqual([item.id]));
    } finally {
      UPLOAD_RETRY.baseMs = base;
    }
  });

  it("a picture chosen offline survives a reload with its bytes and uploads when the app is back", async () => {
    const item = await queueMedia(conv, "u_b", { blob: picture(), kind: "image", thumb: picture() });
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    fake.last.reject(new ApiFailure(0, "network", "network unreachable"));
    await vi.waitFor(() => expect(uploads.value.get(item.id)?.state).toBe("waiting"));

    // "Reload": memory is gone, IndexedDB is not.
    resetUploadsState();
    resetOutboxState();
    const snap = await loadSnapshot();
    expect(snap.outbox).toHaveLength(1);
    expect(snap.outbox[0]!.upload?.blob.size).toBe(1000);
    expect(snap.outbox[0]!.thumb?.size).toBe(1000);
    resetOutboxState(snap.outbox);

    // The socket's ready resumes uploads (resumeUploads is idempotent while one runs).
    const sock = await connect();
    resumeUploads();
    await vi.waitFor(() => expect(fake.calls).toHaveLength(2));
    expect(fake.last.blob.size).toBe(1000);
    fake.last.resolve({ id: "md_2", type: "image", mime: "image/jpeg", size: 1000 });
    await vi.waitFor(() => expect(sends(sock)).toEqual([{ t: "send", id: item.id, to: { user: "u_b" }, body: { type: "image", media: "md_2" } }]));
  });

  it("a refusal (415, 413) is final: the message shows failed, Retry uploads again", async () => {
    const sock = await connect();
    const item = await queueMedia(conv, "u_b", { blob: new NodeBlob([new Uint8Array(10)], { type: "audio/webm;codecs=opus" }) as unknown as Blob, kind: "audio" });
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    // The codec parameter is dropped: the server reads the real type from the bytes.
    expect(fake.last.mime).toBe("audio/webm");
    fake.last.reject(new ApiFailure(415, "media_type_mismatch", "the bytes are not audio/webm"));
    await vi.waitFor(() => expect(outbox.value[0]?.error).toEqual({ code: "media_type_mismatch", message: "the bytes are not audio/webm" }));
    expect(uploads.value.size).toBe(0);
    expect((await loadSnapshot()).outbox[0]?.error?.code).toBe("media_type_mismatch");

    await retryMessage(item.id);
    expect(outbox.value[0]?.error).toBeUndefined();
    await vi.waitFor(() => expect(fake.calls).toHaveLength(2));
    fake.last.resolve({ id: "md_3", type: "audio", mime: "audio/webm", size: 10 });
    await vi.waitFor(() => expect(sends(sock).map((f) => (f.body as { media: string }).media)).toEqual(["md_3"]));
  });
});
