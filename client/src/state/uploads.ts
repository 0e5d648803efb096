// Pictures and clips on their way: the bytes sit in the outbox item (IndexedDB) until
// POST /api/media has them, then the item gets its media id and goes out like any other
// message, with the same client id. A dead network or a reload only delays it.
import { signal } from "@preact/signals";
import { ApiFailure } from "./api";
import { discard, markFailed, outbox, replaceItem, retry, storeItem, transmit } from "./outbox";
import { newClientId } from "./ids";
import type { Media, MediaKind, OutboxItem } from "./types";

export type UploadProgress = {
  /** uploading: bytes are moving; waiting: the last try failed on the network or the server, another comes by itself. */
  state: "uploading" | "waiting";
  loaded: number;
  total: number;
};

/** Client id → progress, for the items uploading or waiting to. */
export const uploads = signal<ReadonlyMap<string, UploadProgress>>(new Map());

/** Sends the bytes; reports progress; rejects with ApiFailure (status 0 = never reached the server) or an AbortError. */
export type UploadTransport = (blob: Blob, mime: string, onProgress: (loaded: number, total: number) => void, signal: AbortSignal) => Promise<Media>;

export const UPLOAD_RETRY = { baseMs: 2_000, capMs: 60_000 };

let transport: UploadTransport = xhrUpload;
const running = new Map<string, AbortController>();
const attempts = new Map<string, number>();
const timers = new Map<string, ReturnType<typeof setTimeout>>();

/** For tests: a fake transport, or back to XMLHttpRequest. */
export function setUploadTransport(next?: UploadTransport): void {
  transport = next ?? xhrUpload;
}

export type MediaDraft = { blob: Blob; kind: MediaKind; caption?: string; thumb?: Blob };

/** Queues a confirmed picture or clip: stored with its bytes first, then uploaded, then sent. */
export async function queueMedia(conv: string, to: string, draft: MediaDraft, now = Date.now()): Promise<OutboxItem> {
  const mime = baseMime(draft.blob.type) || fallbackMime(draft.kind);
  const caption = draft.caption?.trim();
  const item: OutboxItem = {
    id: newClientId(),
    conv,
    to,
    body: { type: draft.kind, media: "", ...(caption ? { caption } : {}) },
    upload: { blob: draft.blob, mime },
    ...(draft.thumb ? { thumb: draft.thumb } : {}),
    createdAt: now,
  };
  await storeItem(item);
  void uploadItem(item.id);
  return item;
}

/** Starts every upload that is not running (after a reload, on `ready`, when the network is back). */
export function resumeUploads(): void {
  for (const item of outbox.value) if (item.upload && !item.error) void uploadItem(item.id);
}

/** Stops the upload and drops the message: the user changed their mind. */
export async function cancelUpload(id: string): Promise<void> {
  running.get(id)?.abort();
  forget(id);
  await discard(id);
}

/** Retry from the failed state: a message with bytes still to send uploads again, else it is sent again. */
export async function retryMessage(id: string): Promise<void> {
  const again = await retry(id);
  if (again?.upload) void uploadItem(id);
}

export async function uploadItem(id: string): Promise<void> {
  const item = outbox.value.find((i) => i.id === id);
  if (!item?.upload || item.error || running.has(id)) return;
  clearTimeout(timers.get(id));
  timers.delete(id);
  const ctl = new AbortController();
  running.set(id, ctl);
  const { blob, mime } = item.upload;
  setProgress(id, { state: "uploading", loaded: 0, total: blob.size });
  try {
    const media = await transport(blob, mime, (loaded, total) => setProgress(id, { state: "uploading", loaded, total }), ctl.signal);
    const current = outbox.value.find((i) => i.id === id);
    if (!current || ctl.signal.aborted) return; // cancelled while the last bytes went
    // The bytes are on the server now: keep only the media id (and the small thumbnail).
    const { upload: _, ...rest } = current;
    const ready = { ...rest, body: { ...current.body, media: media.id } } as OutboxItem;
    await replaceItem(ready);
    forget(id);
    transmit(ready);
  } catch (err) {
    if (ctl.signal.aborted) return;
    if (err instanceof ApiFailure && permanent(err.status)) {
      forget(id);
      await markFailed(id, { code: err.code, message: err.message });
      return;
    }
    const n = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, n);
    setProgress(id, { state: "waiting", loaded: 0, total: blob.size });
    const delay = Math.min(UPLOAD_RETRY.capMs, UPLOAD_RETRY.baseMs * 2 ** (n - 1));
    timers.set(id, setTimeout(() => void uploadItem(id), delay));
  } finally {
    if (running.get(id) === ctl) running.delete(id);
  }
}

/** 4xx other than auth, timeout and rate limit will fail the same way next time (too large, wrong type). */
const permanent = (status: number) => status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;

function setProgress(id: string, p: UploadProgress): void {
  uploads.value = new Map(uploads.value).set(id, p);
}

function forget(id: string): void {
  clearTimeout(timers.get(id));
  timers.delete(id);
  attempts.delete(id);
  if (!uploads.value.has(id)) return;
  const next = new Map(uploads.value);
  next.delete(id);
  uploads.value = next;
}

/** For tests and sign-out. */
export function resetUploadsState(): void {
  for (const ctl of running.values()) ctl.abort();
  running.clear();
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
  attempts.clear();
  uploads.value = new Map();
}

/** `audio/webm;codecs=opus` → `audio/webm`: the server reads the real type from the bytes anyway. */
export const baseMime = (type: string) => type.split(";")[0]!.trim().toLowerCase();

const fallbackMime = (kind: MediaKind) => (kind === "image" ? "image/jpeg" : kind === "audio" ? "audio/webm" : "video/webm");

/**
 * POST /api/media with the raw bytes. XMLHttpRequest rather than fetch: it is the one
 * browser API that reports upload progress everywhere (fetch upload streams need HTTP/2
 * and are Chromium-only).
 */
function xhrUpload(blob: Blob, mime: string, onProgress: (loaded: number, total: number) => void, signal: AbortSignal): Promise<Media> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/media");
    xhr.setRequestHeader("Content-Type", mime);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : blob.size);
    xhr.onload = () => {
      const body = xhr.response as { media?: Media; error?: { code?: string; message?: string } } | null;
      if (xhr.status >= 200 && xhr.status < 300 && body?.media) resolve(body.media);
      else reject(new ApiFailure(xhr.status, body?.error?.code ?? `http_${xhr.status}`, body?.error?.message ?? `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new ApiFailure(0, "network", "network unreachable"));
    xhr.onabort = () => reject(new DOMException("upload cancelled", "AbortError"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(blob);
  });
}
