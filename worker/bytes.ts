// Byte helpers shared by the Worker's code and its tests.

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
