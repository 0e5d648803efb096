// Byte helpers shared by the Worker, the Durable Objects, the client and their tests.

/** Bytes backed by a plain ArrayBuffer, which is what WebCrypto, fetch bodies and Blob parts take. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** The parts one after another, in a new buffer. */
export function concat(...parts: (Uint8Array | number[])[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A stream read to its end, or null as soon as it is past `max` bytes (the rest is not
 * read: the stream is cancelled). For bodies whose declared size cannot be trusted.
 */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, max: number): Promise<Bytes | null> {
  if (!stream) return concat();
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return concat(...parts);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Strict base64url (padding tolerated); throws on anything else. */
export function fromBase64url(s: string): Bytes {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new Error("not base64url");
  const bin = atob(s.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export const utf8 = (s: string): Bytes => new TextEncoder().encode(s) as Bytes;
