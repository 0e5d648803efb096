import { ApiError, fail } from "../errors";
import { boundaryOf, openFilePart } from "./multipart";
import { claimOf, limitForClaim, MAX_UPLOAD, tooLarge } from "./resolve";

/** An upload's declared type and its bytes as they arrive; `length` when the body says it exactly. */
export type Upload = { declared: string | null; chunks: AsyncIterable<Uint8Array>; length: number | null };

// Boundaries, part headers and small fields around the file in a multipart body.
const MULTIPART_OVERHEAD = 128 * 1024;

/**
 * The file in a request: the raw body with its Content-Type, or the `file` field of a
 * multipart/form-data body. A Content-Length no upload of the declared kind could fit
 * in is refused here, before a byte is read.
 */
export async function openUpload(req: Request): Promise<Upload> {
  const contentType = req.headers.get("Content-Type");
  const declaredLength = lengthOf(req.headers.get("Content-Length"));
  const boundary = boundaryOf(contentType);
  if (/^\s*multipart\//i.test(contentType ?? "") && !boundary) throw fail("invalid_input", "a multipart upload must be multipart/form-data with a boundary");

  const claim = claimOf(contentType);
  const limit = boundary ? MAX_UPLOAD + MULTIPART_OVERHEAD : limitForClaim(claim);
  if (declaredLength !== null && declaredLength > limit) {
    throw boundary || claim === "none" || claim === "other" ? tooLarge(null, MAX_UPLOAD) : tooLarge(claim, limit);
  }
  if (!req.body || declaredLength === 0) throw emptyUpload();
  if (!boundary) return { declared: contentType, chunks: chunksOf(req.body), length: declaredLength };
  const part = await openFilePart(chunksOf(req.body), boundary);
  return { declared: part.contentType, chunks: part.chunks, length: null };
}

export const emptyUpload = () => fail("invalid_input", "the upload is empty");

/**
 * Reads at least `n` leading bytes (fewer if the upload is shorter) to sniff, and gives
 * back the whole upload again, those bytes first, the rest still unread.
 */
export async function peek(chunks: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
  const it = chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  while (total < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    seen.push(r.value);
    total += r.value.length;
  }
  const head = new Uint8Array(total);
  seen.reduce((at, c) => (head.set(c, at), at + c.length), 0);
  async function* all() {
    yield* seen;
    if (ended) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, all: all() };
}

/** The request body as chunks; a body cut off mid-way is the client's error, not a 500. */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch {
      throw new ApiError("invalid_input", "the upload was cut off");
    }
    if (r.done) return;
    if (r.value.length > 0) yield r.value;
  }
}

function lengthOf(header: string | null): number | null {
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null;
}
