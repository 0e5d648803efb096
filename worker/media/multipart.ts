import { fail } from "../errors";

/** The `file` part of a multipart/form-data body: its declared type and its bytes as they arrive. */
export type FilePart = { contentType: string | null; chunks: AsyncIterable<Uint8Array> };

// Small parts around the file (a caption field, say) are skipped, within these bounds,
// so a body can never make us hold more than a little beside the file itself.
const MAX_PREAMBLE = 1024;
const MAX_HEADERS = 8 * 1024;
const MAX_OTHER_FIELDS = 64 * 1024;

/** The boundary of a multipart/form-data Content-Type (RFC 2046 §5.1.1: 1–70 chars), or null. */
export function boundaryOf(contentType: string | null | undefined): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
  return m ? (m[1] ?? m[2])! : null;
}

/**
 * Reads a multipart/form-data body up to the start of its `file` part and hands back
 * that part's bytes as a stream, without buffering the file: `request.formData()` would
 * hold the whole upload (up to 50 MB) in memory. Bytes after the file are never read.
 */
export async function openFilePart(body: AsyncIterable<Uint8Array>, boundary: string): Promise<FilePart> {
  const input = new ByteQueue(body[Symbol.asyncIterator]());
  const dashBoundary = bytes(`--${boundary}`);
  const delimiter = bytes(`\r\n--${boundary}`);
  let skipped = 0;

  if ((await input.find(dashBoundary, MAX_PREAMBLE)) < 0) throw malformed("it does not start with its boundary");
  input.take(input.indexOf(dashBoundary) + dashBoundary.length);
  for (;;) {
    // After a delimiter: "--" ends the body, CRLF starts a part's headers.
    if (!(await input.fill(2))) throw malformed("it ended after a boundary");
    if (input.startsWith(bytes("--"))) throw fail("invalid_input", "the multipart body has no `file` field");
    if (!input.startsWith(bytes("\r\n"))) throw malformed("a boundary is not followed by a line break");
    const end = await input.find(bytes("\r\n\r\n"), MAX_HEADERS);
    if (end < 0) throw malformed("a part's headers are missing or too long");
    const headers = partHeaders(new TextDecoder().decode(input.take(end + 4).subarray(2, end)));
    if (headers.name === "file") return { contentType: headers.contentType, chunks: partBody(input, delimiter) };
    const at = await input.find(delimiter, MAX_OTHER_FIELDS - skipped);
    if (at < 0) throw fail("invalid_input", "a multipart upload takes one `file` field; other fields are limited to 64 KB");
    skipped += at;
    input.take(at + delimiter.length);
  }
}

async function* partBody(input: ByteQueue, delimiter: Uint8Array): AsyncGenerator<Uint8Array> {
  for (;;) {
    const at = input.indexOf(delimiter);
    if (at >= 0) {
      if (at > 0) yield input.take(at);
      return;
    }
    // Keep a delimiter's length minus one: the delimiter may straddle two reads.
    const safe = input.length - (delimiter.length - 1);
    if (safe > 0) yield input.take(safe);
    if (!(await input.more())) throw malformed("it ended in the middle of the file");
  }
}

function partHeaders(text: string): { name: string | null; contentType: string | null } {
  let name: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-type") contentType = value;
    if (key === "content-disposition") {
      const m = /;\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(value);
      name = m ? (m[1] ?? m[2])! : null;
    }
  }
  return { name, contentType };
}

const malformed = (why: string) => fail("invalid_input", `the multipart body is malformed: ${why}`);

const bytes = (s: string) => new TextEncoder().encode(s);

/** The unread front of a byte stream, grown one read at a time. */
class ByteQueue {
  private buf = new Uint8Array(0);
  private ended = false;

  constructor(private source: AsyncIterator<Uint8Array>) {}

  get length(): number {
    return this.buf.length;
  }

  /** Reads one more chunk; false at the end of the stream. */
  async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.source.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const next = new Uint8Array(this.buf.length + r.value.length);
    next.set(this.buf);
    next.set(r.value, this.buf.length);
    this.buf = next;
    return true;
  }

  /** Reads until at least `n` bytes are queued; false if the stream ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) if (!(await this.more())) return false;
    return true;
  }

  /** Reads until `needle` is queued within the first `max` bytes; its index, or -1. */
  async find(needle: Uint8Array, max: number): Promise<number> {
    for (;;) {
      const at = this.indexOf(needle);
      if (at >= 0) return at <= max ? at : -1;
      if (this.buf.length > max + needle.length || !(await this.more())) return -1;
    }
  }

  indexOf(needle: Uint8Array): number {
    for (let at = this.buf.indexOf(needle[0]!); at >= 0 && at + needle.length <= this.buf.length; at = this.buf.indexOf(needle[0]!, at + 1)) {
      if (needle.every((b, i) => this.buf[at + i] === b)) return at;
    }
    return -1;
  }

  startsWith(prefix: Uint8Array): boolean {
    return prefix.every((b, i) => this.buf[i] === b);
  }

  /** Removes and returns the first `n` queued bytes. */
  take(n: number): Uint8Array {
    const head = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return head;
  }
}
