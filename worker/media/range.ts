/** A satisfiable byte range: `length` bytes from `offset`, both inside the object. */
export type ByteRange = { offset: number; length: number };

/**
 * Reads a `Range` header against an object of `size` bytes (RFC 9110 §14.1–14.2).
 *
 * - no header, another unit, a malformed header, or several ranges → `null`: serve the
 *   whole object with 200. A server may ignore Range (§14.2), and players ask for one
 *   range at a time, so multipart/byteranges is not worth its weight.
 * - a range starting at or past the end, or a zero-length suffix → `"unsatisfiable"` (416).
 * - otherwise the range, clipped to the object: `bytes=0-` , `bytes=100-199`, `bytes=-500`.
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, first, last] = m as unknown as [string, string, string];
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return null; // invalid, so ignored (§14.1.1)
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { offset: start, length: end - start + 1 };
}

/** `Content-Range` for a 206. */
export const contentRange = (r: ByteRange, size: number) => `bytes ${r.offset}-${r.offset + r.length - 1}/${size}`;
